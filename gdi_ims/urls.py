from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from gdi_ims import views

# The admin site, too, requires a verified second factor.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("provinces/", include("compilation.urls")),
    path("residents/", include("residents.urls")),
    path("cards/", include("cards.urls")),
    path("imports/", include("imports.urls")),
    path("jobs/", include("jobs.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "gdi_ims.views.bad_request"
handler403 = "gdi_ims.views.permission_denied"
handler404 = "gdi_ims.views.page_not_found"
handler500 = "gdi_ims.views.server_error"
