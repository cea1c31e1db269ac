from __future__ import annotations

from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="job-list"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("<str:job>/run-now/", views.job_run_now, name="run-now"),
    path("renewals/", views.renewals, name="renewals"),
    path("renewals/<int:pk>/start/", views.renewal_start, name="renewal-start"),
    path("renewals/export.csv", views.renewals_export, {"file_format": "csv"}, name="renewals-csv"),
    path(
        "renewals/export.xlsx", views.renewals_export, {"file_format": "xlsx"}, name="renewals-xlsx"
    ),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications-read-all"),
]
