from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password/forgotten/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password/forgotten/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path("two-factor/", views.otp_verify, name="otp-verify"),
    path("two-factor/set-up/", views.otp_enrol, name="otp-enrol"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("confirm/", views.reauthenticate, name="reauth"),
    path("security/", views.account_security, name="security"),
    path("security/sessions/end-others/", views.sessions_end_others, name="sessions-end-others"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation"),
    path("users/", views.user_list, name="user-list"),
    path("users/export.csv", views.user_export, name="user-export"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_detail, name="user-detail"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user-deactivate"),
    path("users/<int:pk>/reactivate/", views.user_reactivate, name="user-reactivate"),
    path("users/<int:pk>/invite/", views.user_invite, name="user-invite"),
    path("users/<int:pk>/two-factor-reset/", views.user_otp_reset, name="user-otp-reset"),
]
