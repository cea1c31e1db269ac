from django.urls import path

from compilation import views

# The pages are the provinces' pages (/provinces/...): their names stay `provinces:...`, whichever
# app serves them, so every link to them reads the same.
app_name = "provinces"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("mine/", views.my_province, name="mine"),
    path("refresh/", views.summary_refresh, name="refresh"),
    path("throughput/", views.throughput, name="throughput"),
    path("export.csv", views.export_csv, name="export-csv"),
    path("export.xlsx", views.export_xlsx, name="export-xlsx"),
    path("report.pdf", views.report_pdf, name="report-pdf"),
    path("<str:code>/", views.province_detail, name="detail"),
    path("<str:code>/estimate/", views.province_estimate, name="estimate"),
    path("<str:code>/submit/", views.province_submit, name="submit"),
    path("<str:code>/review/", views.province_review, name="review"),
    path("<str:code>/sign-off/", views.province_sign_off, name="sign-off"),
    path("<str:code>/return/", views.province_return, name="return"),
    path("<str:code>/reopen/", views.province_reopen, name="reopen"),
    path("<str:code>/throughput/", views.throughput, name="province-throughput"),
]
