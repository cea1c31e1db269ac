from django.urls import path

from imports import onboarding, views

app_name = "imports"

urlpatterns = [
    path("", views.batch_list, name="batch-list"),
    path("template/", views.template_download, name="template"),
    path("<int:pk>/", views.batch_detail, name="batch-detail"),
    path("<int:pk>/progress/", views.batch_progress, name="batch-progress"),
    path("<int:pk>/commit/", views.batch_commit, name="batch-commit"),
    path("<int:pk>/retry/", views.batch_retry, name="batch-retry"),
    path("<int:pk>/report/", views.batch_report, name="batch-report"),
    path("<int:pk>/rejected/", views.batch_rejected, name="batch-rejected"),
    path("<int:pk>/residents/", views.batch_residents, name="batch-residents"),
    path("users/", onboarding.user_import, name="user-import"),
    path("export/", views.export, name="export"),
    path("export/download/", views.export_download, name="export-download"),
    path("export/<int:pk>/progress/", views.export_progress, name="export-progress"),
    path("export/<int:pk>/file/", views.export_file, name="export-file"),
    path("export/<int:pk>/retry/", views.export_retry, name="export-retry"),
]
