from django.urls import path

from residents import correction_views, lifecycle_views, queue_views, views

app_name = "residents"
urlpatterns = [
    path("", views.resident_list, name="list"),
    path("new/", views.resident_create, name="create"),
    path("<int:pk>/", views.resident_detail, name="detail"),
    path("<int:pk>/edit/", views.resident_edit, name="edit"),
    path("<int:pk>/photo/", views.resident_photo, name="photo"),
    path("options/districts/", views.district_options, name="district-options"),
    path("options/communes/", views.commune_options, name="commune-options"),
    path("declarations/<int:pk>/edit/", views.declaration_edit, name="declaration-edit"),
    path("declarations/<int:pk>/submit/", views.declaration_submit, name="declaration-submit"),
    path("declarations/<int:pk>/documents/", views.document_upload, name="document-upload"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("documents/<int:pk>/check/", views.document_check, name="document-check"),
    path("verification/", views.verification_queue, name="verification-queue"),
    path("verification/next/", views.verification_next, name="verification-next"),
    path("declarations/<int:pk>/review/", views.declaration_review, name="review"),
    path("duplicates/", queue_views.duplicates_queue, name="duplicates"),
    path("duplicates/<int:pk>/decide/", views.duplicate_decide, name="duplicate-decide"),
    path("duplicates/<int:pk>/merge/", views.duplicate_merge, name="duplicate-merge"),
    path("returned/", queue_views.returned_list, name="returned"),
    path("acknowledgements/", queue_views.acknowledgements, name="acknowledgements"),
    path(
        "declarations/<int:pk>/acknowledge/",
        views.declaration_acknowledge,
        name="declaration-acknowledge",
    ),
    path(
        "acknowledgements/<str:code>/",
        views.province_acknowledge,
        name="province-acknowledge",
    ),
    path(
        "<int:pk>/corrections/new/",
        correction_views.correction_create,
        name="correction-create",
    ),
    path("corrections/", correction_views.correction_queue, name="correction-queue"),
    path("corrections/<int:pk>/", correction_views.correction_detail, name="correction-detail"),
    path(
        "corrections/<int:pk>/decide/",
        correction_views.correction_decide,
        name="correction-decide",
    ),
    path(
        "corrections/<int:pk>/evidence/",
        correction_views.correction_evidence,
        name="correction-evidence",
    ),
    path("<int:pk>/passports/new/", correction_views.passport_create, name="passport-create"),
    # End of residence, transfers between provinces, family links
    path("<int:pk>/end/", lifecycle_views.ending_request, name="ending-request"),
    path("endings/", lifecycle_views.ending_queue, name="ending-queue"),
    path("endings/<int:pk>/", lifecycle_views.ending_detail, name="ending-detail"),
    path("endings/<int:pk>/decide/", lifecycle_views.ending_decide, name="ending-decide"),
    path("endings/<int:pk>/withdraw/", lifecycle_views.ending_withdraw, name="ending-withdraw"),
    path("endings/<int:pk>/evidence/", lifecycle_views.ending_evidence, name="ending-evidence"),
    path("<int:pk>/transfer/", lifecycle_views.transfer_propose, name="transfer-propose"),
    path("transfers/", lifecycle_views.transfer_list, name="transfer-list"),
    path("transfers/<int:pk>/", lifecycle_views.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/decide/", lifecycle_views.transfer_decide, name="transfer-decide"),
    path(
        "transfers/<int:pk>/withdraw/", lifecycle_views.transfer_withdraw, name="transfer-withdraw"
    ),
    path("<int:pk>/family/", lifecycle_views.family_link_add, name="family-link-add"),
    path("family/<int:pk>/remove/", lifecycle_views.family_link_remove, name="family-link-remove"),
]
