"""Template context: the signed-in user's role, so menus show only what the role may open."""

from __future__ import annotations

from govassess.web.accounts.selectors import user_role


def role(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"role": None}
    from govassess.web.rounds.models import Notification

    unread = Notification.objects.filter(user=user, read=False).count()
    return {"role": user_role(user=user), "unread_notifications": unread}
