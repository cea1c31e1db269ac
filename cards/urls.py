from __future__ import annotations

from django.urls import path

from cards import views

app_name = "cards"

urlpatterns = [
    path("", views.card_list, name="card-list"),
    path("<int:pk>/", views.card_detail, name="card-detail"),
    path("<int:pk>/preview.pdf", views.card_preview, name="card-preview"),
    path("<int:pk>/card.pdf", views.card_download, name="card-download"),
    path("<int:pk>/renew/", views.card_renew, name="card-renew"),
    path("<int:pk>/replace/", views.card_replace, name="card-replace"),
    path("<int:pk>/revoke/", views.card_revoke, name="card-revoke"),
    path("<int:pk>/reprint-transfer/", views.card_reprint_transfer, name="card-reprint-transfer"),
    path("<int:pk>/hand-over/", views.card_hand_over, name="card-hand-over"),
    path("<int:pk>/spoil/", views.card_spoil, name="card-spoil"),
    path("due/", views.cards_due, name="due"),
    path("issue/<int:declaration_pk>/", views.card_issue, name="card-issue"),
    path("issue/province/", views.cards_issue_province, name="issue-province"),
    path("print-runs/", views.print_run_list, name="print-run-list"),
    path("print-runs/new/", views.print_run_create, name="print-run-create"),
    path("print-runs/<int:pk>/", views.print_run_detail, name="print-run-detail"),
    path("print-runs/<int:pk>/pdf/", views.print_run_pdf, name="print-run-pdf"),
    path("print-runs/<int:pk>/retry/", views.print_run_retry, name="print-run-retry"),
    path("check/", views.card_check, name="check"),
    # Public: the address in the cards' QR codes.
    path("v/<str:token>/", views.card_verify, name="verify"),
]
