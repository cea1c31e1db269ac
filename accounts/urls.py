from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("two-factor/", views.otp_verify, name="otp-verify"),
    path("two-factor/set-up/", views.otp_enrol, name="otp-enrol"),
]
