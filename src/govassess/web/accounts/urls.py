from django.urls import path

from govassess.web.accounts import views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/otp/", views.otp_setup, name="otp_setup"),
    path("accounts/manage/", views.account_manage, name="account_manage"),
    path("accounts/manage/new/", views.account_new, name="account_new"),
    path("accounts/manage/import/", views.account_import, name="account_import"),
    path("accounts/manage/template.xlsx", views.account_import_template, name="account_import_template"),
    path("accounts/manage/<int:pk>/deactivate/", views.account_deactivate, name="account_deactivate"),
    path("accounts/manage/<int:pk>/reactivate/", views.account_reactivate, name="account_reactivate"),
    path("accounts/manage/<int:pk>/password/", views.account_password_reset, name="account_password_reset"),
    path("accounts/manage/<int:pk>/otp/reset/", views.account_otp_reset, name="account_otp_reset"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
