"""National code and phone-number checks used by survey forms.

Each check returns ``None`` when the value is valid, otherwise a Chinese message saying what is wrong.
Values are expected already cleaned (NFKC-normalised, spaces stripped) by the caller.
"""

from __future__ import annotations

import re

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError

# GB 11714-1997 《全国组织机构代码编制规则》: 8 body characters (digits or capital Latin letters) and one check
# character C9 = 11 - MOD(sum(Ci * Wi), 11) with weights W = 3,7,9,10,5,8,4,2; 10 is written "X", 11 is
# written "0"; letters count A=10 … Z=35. python-stdnum 2.2 has no module for it (stdnum.cn has only ric and uscc).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_RE = re.compile(r"^[0-9A-Z]{8}-?[0-9X]$")


def org_code_check_char(body: str) -> str:
    """The GB 11714 check character for an 8-character organisation-code body."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def check_org_code(value: str) -> str | None:
    """组织机构代码 (GB 11714): ``XXXXXXXX-X`` or the same without the hyphen."""
    code = value.upper()
    if not _ORG_RE.match(code):
        return "组织机构代码应为8位数字或大写字母加1位校验码（如 XXXXXXXX-X）"
    body, check = code[:8], code[-1]
    if org_code_check_char(body) != check:
        return "组织机构代码校验码错误（GB 11714）"
    return None


def check_uscc(value: str) -> str | None:
    """统一社会信用代码 (GB 32100), through python-stdnum."""
    try:
        uscc.validate(value)
    except InvalidLength:
        return "统一社会信用代码应为18位"
    except InvalidChecksum:
        return "统一社会信用代码校验码错误（GB 32100）"
    except ValidationError:
        return "统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）"
    return None


def check_credit_code(value: str) -> str | None:
    """统一社会信用代码, or 组织机构代码 for units that have none (the survey's 单位基本情况)."""
    compact = value.replace(" ", "").upper()
    if len(compact) == 18:
        return check_uscc(compact)
    if len(compact) in (9, 10):
        return check_org_code(compact)
    return "应填写18位统一社会信用代码；没有的，填写9位组织机构代码"


def check_id_card(value: str) -> str | None:
    """居民身份证号码 (GB 11643), through python-stdnum."""
    try:
        ric.validate(value)
    except InvalidLength:
        return "身份证号码应为18位"
    except InvalidChecksum:
        return "身份证号码校验码错误（GB 11643）"
    except InvalidComponent:
        return "身份证号码中的出生日期或地区码无效"
    except ValidationError:
        return "身份证号码格式错误"
    return None


# Mobile: 11 digits starting 1[3-9], optional +86/86 prefix. Landline as the seed asks: 区号-总机号码-分机号码
# (area code 0 + 2–3 digits, exchange 7–8 digits, extension optional, 1–6 digits).
_MOBILE_RE = re.compile(r"^(?:\+?86-?)?1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-[2-9]\d{6,7}(?:-\d{1,6})?$")


def check_phone(value: str) -> str | None:
    """Mobile number or landline 区号-总机号码-分机号码."""
    text = value.replace(" ", "")
    if _MOBILE_RE.match(text) or _LANDLINE_RE.match(text):
        return None
    return "电话应为11位手机号码或固话（区号-总机号码-分机号码，如 0431-88888888-123）"


CHECKS = {
    "credit_code": check_credit_code,
    "uscc": check_uscc,
    "org_code": check_org_code,
    "id_card": check_id_card,
    "phone": check_phone,
}
