from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from govassess.outputs import save_workbook
from govassess.web.accounts.forms import ThrottledLoginForm
from govassess.web.rounds.models import Notification


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = "/"

    def form_valid(self, form):
        from django.contrib import messages
        from django.db import transaction

        from govassess.web.accounts.services import account_password_changed

        # The new password, the cleared first-login flag and the audit entry stand or fall together.
        with transaction.atomic():
            response = super().form_valid(form)
            account_password_changed(user=self.request.user)
        messages.success(self.request, "密码已修改。")
        return response


class LogoutView(auth_views.LogoutView):
    """Logging out also empties this browser's site storage: the fill form's autosaved drafts (ui.js) must
    not wait in localStorage for the next person at a shared computer. Browsers honour Clear-Site-Data on
    HTTPS and localhost; on plain HTTP ui.js removes the drafts when the 退出 button is pressed."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"storage"'
        return response


OTP_PENDING = "otp_pending"
OTP_PENDING_SECONDS = 300


class LoginView(auth_views.LoginView):
    """Password first; an account with a confirmed 动态口令 device then gets a second step asking only for
    the code (nobody else ever sees a code field, and whether an account has a device is told only to
    someone who knows its password). The pending login lives in the session for 5 minutes; a wrong code
    counts in the login throttle like a wrong password, and a throttled account's code is not checked."""

    form_class = ThrottledLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if request.POST.get("step") == "otp":
            return self.otp_step(request)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        import time

        from govassess.web.accounts.otp import otp_mark_verified

        if form.otp_needed:
            user = form.get_user()
            self.request.session[OTP_PENDING] = {
                "user": user.pk,
                "backend": user.backend,
                "at": time.time(),
                "next": self.get_redirect_url(),
            }
            return self._otp_page(None)
        response = super().form_valid(form)
        if form.otp_device is not None:
            otp_mark_verified(self.request, form.otp_device)
        return response

    def _otp_page(self, error: str | None, status: int = 200):
        from govassess.web.accounts.forms import OtpStepForm

        return render(
            self.request, "accounts/login_otp.html", {"form": OtpStepForm(), "error": error}, status=status
        )

    def otp_step(self, request):
        import time

        from django.contrib import messages
        from django.contrib.auth import get_user_model
        from django.contrib.auth import login as auth_login

        from govassess.web.accounts import throttle
        from govassess.web.accounts.forms import LOCKED_MESSAGE, otp_failed
        from govassess.web.accounts.otp import otp_mark_verified, otp_match
        from govassess.web.audit.middleware import request_ip

        pending = request.session.get(OTP_PENDING) or {}
        user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
        if user is None or time.time() - float(pending.get("at") or 0) > OTP_PENDING_SECONDS:
            request.session.pop(OTP_PENDING, None)
            messages.error(request, "登录已超时，请重新输入用户名和密码。")
            return redirect("login")
        wait = throttle.login_wait(username=user.get_username(), ip=request_ip(request))
        if wait is not None:
            return self._otp_page(LOCKED_MESSAGE % {"wait": throttle.wait_text(wait.seconds)})
        device = otp_match(user, request.POST.get("otp_token", ""))
        if device is None:
            otp_failed(user, request)
            return self._otp_page(ThrottledLoginForm.error_messages["otp_wrong"])
        del request.session[OTP_PENDING]
        auth_login(request, user, backend=pending["backend"])
        otp_mark_verified(request, device)
        return redirect(pending.get("next") or self.get_default_redirect_url())


@login_required
def notification_list(request):
    items = Notification.objects.filter(user=request.user)[:200]
    return render(request, "accounts/notifications.html", {"items": items})


@login_required
@require_POST
def notifications_read(request):
    Notification.objects.filter(user=request.user, read=False).update(read=True)
    return redirect("notifications")


# ---- 账号管理 (office only) ---------------------------------------------------------------------------------


def _require_office(request) -> None:
    from govassess.web.rounds import policy

    policy.require(policy.can_manage(request.user), "只有评估办可以管理账号。")


def _passwords_xlsx_uri(created) -> str:
    """The generated passwords as an .xlsx inside the page itself (data: URI): offered during this one
    response only, never written to disk or the database."""
    import base64
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "初始密码"
    ws.append(["账号", "姓名", "角色", "评估对象编码", "初始密码"])
    for account, password in created:
        profile = account.profile
        ws.append(
            [
                account.username,
                account.first_name,
                profile.get_role_display(),
                profile.unit.code if profile.unit else "",
                password,
            ]
        )
    out = io.BytesIO()
    save_workbook(wb, out)  # a name typed as "=…" stays text
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return f"data:{mime};base64,{base64.b64encode(out.getvalue()).decode('ascii')}"


def _passwords_page(request, created, *, title: str, download: bool = False):
    from django.utils.cache import add_never_cache_headers

    ctx = {"title": title, "created": created, "xlsx_uri": _passwords_xlsx_uri(created) if download else ""}
    resp = render(request, "accounts/manage_passwords.html", ctx)
    add_never_cache_headers(resp)  # the page holds clear passwords: no browser or proxy copy
    return resp


@login_required
def account_manage(request):
    from govassess.web.accounts import selectors
    from govassess.web.accounts.models import Role
    from govassess.web.organisation.models import Unit

    _require_office(request)
    role = request.GET.get("role") or ""
    unit = request.GET.get("unit") or ""
    accounts = selectors.account_list(role=role if role in Role.values else None, unit_code=unit or None)
    return render(
        request,
        "accounts/manage.html",
        {
            "accounts": accounts,
            "roles": Role.choices,
            "units": Unit.objects.all(),
            "role_filter": role,
            "unit_filter": unit,
            "me": request.user.pk,
        },
    )


@login_required
def account_new(request):
    from govassess.errors import UserError
    from govassess.web.accounts import services
    from govassess.web.accounts.forms import AccountForm

    _require_office(request)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.account_add(user=request.user, **form.cleaned_data)
        except UserError as err:
            for p in err.problems:
                form.add_error(None, str(p))
        else:
            return _passwords_page(request, [created], title="账号已创建")
    return render(request, "accounts/manage_form.html", {"form": form})


@login_required
def account_import(request):
    from govassess.errors import UserError
    from govassess.web.accounts import services
    from govassess.web.accounts.forms import AccountImportForm

    _require_office(request)
    form = AccountImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            created = services.account_bulk_create(user=request.user, upload=form.cleaned_data["file"])
        except UserError as err:
            problems = [str(p) for p in err.problems]
        else:
            return _passwords_page(request, created, title=f"已批量创建 {len(created)} 个账号", download=True)
    return render(
        request,
        "accounts/manage_import.html",
        {"form": form, "problems": problems, "columns": services.IMPORT_COLUMNS},
    )


def _account_action(request, pk: int, action: str):
    from django.contrib import messages

    from govassess.errors import UserError
    from govassess.web.accounts import selectors, services
    from govassess.web.common import show_user_error

    _require_office(request)
    account = selectors.account_get(pk=pk)
    try:
        if action == "deactivate":
            services.account_deactivate(user=request.user, account=account)
            messages.success(request, f"账号「{account.username}」已停用。")
        else:
            services.account_reactivate(user=request.user, account=account)
            messages.success(request, f"账号「{account.username}」已启用。")
    except UserError as err:
        show_user_error(request, err)
    return redirect("account_manage")


@login_required
@require_POST
def account_deactivate(request, pk: int):
    return _account_action(request, pk, "deactivate")


@login_required
@require_POST
def account_reactivate(request, pk: int):
    return _account_action(request, pk, "reactivate")


@login_required
@require_POST
def account_password_reset(request, pk: int):
    from govassess.web.accounts import selectors, services

    _require_office(request)
    account = selectors.account_get(pk=pk)
    password = services.account_password_reset(user=request.user, account=account)
    return _passwords_page(request, [(account, password)], title="密码已重置")


@login_required
@require_POST
def account_otp_reset(request, pk: int):
    """The office removes another account's 动态口令 (a lost phone); audited in accounts.otp.otp_reset."""
    from django.contrib import messages

    from govassess.errors import UserError
    from govassess.web.accounts import selectors
    from govassess.web.accounts.otp import otp_reset

    _require_office(request)
    account = selectors.account_get(pk=pk)
    try:
        otp_reset(actor=request.user, account=account)
        messages.success(request, f"已重置账号 {account.get_username()} 的动态口令：该账号现在只用密码登录，可重新启用。")
    except UserError as err:
        messages.error(request, str(err))
    return redirect("account_manage")


@login_required
def account_import_template(request):
    """An empty 账号 sheet plus a 填写说明 sheet listing the role names and every unit code."""
    import io

    from django.http import HttpResponse
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from govassess.web.accounts.models import Role
    from govassess.web.accounts.services import IMPORT_COLUMNS
    from govassess.web.organisation.models import Unit

    _require_office(request)
    wb = Workbook()
    ws = wb.active
    ws.title = "账号"
    ws.append(list(IMPORT_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCD", (20, 12, 20, 16), strict=True):
        ws.column_dimensions[col].width = width
    notes = wb.create_sheet("填写说明")
    notes.append(["每行一个账号；被评估单位填报员必须填写评估对象编码，评估办、评审专家、领导留空。"])
    notes.append(["可用角色"])
    for _, label in Role.choices:
        notes.append([label])
    notes.append([])
    notes.append(["评估对象编码", "名称", "类别"])
    for u in Unit.objects.all():
        notes.append([u.code, u.name, u.unit_class])
    out = io.BytesIO()
    save_workbook(wb, out)  # unit names stay text
    resp = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = 'attachment; filename="accounts-template.xlsx"'
    return resp


# ---- error pages -----------------------------------------------------------------------------------------


def csrf_reason(reason: str) -> str:
    """Django's CSRF failure reason (English, for developers) as a sentence for the user."""
    reason = reason or ""
    if "cookie" in reason.lower():
        return "浏览器没有发送本站的安全 Cookie：请允许本站使用 Cookie 后重试。"
    if "Referer" in reason or "Origin" in reason:
        return "请求来源校验未通过：请直接从本平台的页面提交，不要从其他网站或收藏的表单地址提交。"
    return "表单的安全校验码已失效或缺失。"


def csrf_failure(request, reason: str = ""):
    """settings.CSRF_FAILURE_VIEW: a Chinese page saying why and what to do, status 403 as Django's."""
    response = render(request, "403_csrf.html", {"reason": csrf_reason(reason)}, status=403)
    return response


# ---- 动态口令 (TOTP second factor, office and reviewer accounts) -----------------------------------------


@login_required
def otp_setup(request):
    from django.contrib import messages
    from django.utils.cache import add_never_cache_headers

    from govassess.errors import UserError
    from govassess.web.accounts import otp
    from govassess.web.common import show_user_error
    from govassess.web.rounds import policy

    policy.require(otp.otp_allowed(request.user), "只有评估办和评审专家账号可以启用动态口令。")
    enrolled = otp.otp_enrolled(request.user)
    if request.method == "POST":
        token = request.POST.get("otp_token", "")
        try:
            if enrolled:
                otp.otp_disable(user=request.user, token=token)
                messages.success(request, "动态口令已停用，登录时只需密码。")
            else:
                device = otp.otp_confirm(user=request.user, token=token)
                otp.otp_mark_verified(request, device)  # this session just proved the code
                messages.success(request, "动态口令已启用：今后登录时须同时输入验证器上的动态口令。")
        except UserError as err:
            show_user_error(request, err)
        return redirect("otp_setup")
    ctx = {"enrolled": enrolled}
    if not enrolled:
        device = otp.otp_pending(request.user)
        ctx.update(secret=otp.otp_secret(device), qr=otp.otp_qr_svg(device))
    resp = render(request, "accounts/otp_setup.html", ctx)
    add_never_cache_headers(resp)  # the page holds the secret
    return resp
