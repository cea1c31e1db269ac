"""The IMS's addresses under /ims/ (a test of what depends on the URL configuration)."""

from django.urls import include, path

urlpatterns = [path("ims/", include("gdi_ims.urls"))]
