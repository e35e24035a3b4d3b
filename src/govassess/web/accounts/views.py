from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from govassess.web.accounts.forms import ThrottledLoginForm
from govassess.web.rounds.models import Notification


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = "/"

    def form_valid(self, form):
        response = super().form_valid(form)
        from django.contrib import messages

        from govassess.web.audit.services import audit_record

        audit_record(
            user=self.request.user,
            action="account_password",
            object_type="account",
            object_id=self.request.user.pk,
            after={"password": "（已修改）"},
        )
        messages.success(self.request, "密码已修改。")
        return response


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def notification_list(request):
    items = Notification.objects.filter(user=request.user)[:200]
    return render(request, "accounts/notifications.html", {"items": items})


@login_required
@require_POST
def notifications_read(request):
    Notification.objects.filter(user=request.user, read=False).update(read=True)
    return redirect("notifications")
