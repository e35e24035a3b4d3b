import pytest

from govassess.inspection.encoding import decode_html
from govassess.inspection.urls import is_calendar_url, is_loopback_host, normalize_url, trap_reason


@pytest.mark.parametrize(
    ("raw", "base", "expected"),
    [
        ("HTTP://WWW.Example.GOV.cn:80/a/../b/./c.html#top", None, "http://www.example.gov.cn/b/c.html"),
        ("https://x.gov.cn:443", None, "https://x.gov.cn/"),
        ("/col/ywdt/;jsessionid=ABC123", "http://x.gov.cn/", "http://x.gov.cn/col/ywdt/"),
        ("list.html?page=2&sid=99&utm_source=wx", "http://x.gov.cn/a/", "http://x.gov.cn/a/list.html?page=2"),
        ("?b=2&a=1", "http://x.gov.cn/p", "http://x.gov.cn/p?a=1&b=2"),
        ("/新闻/要闻.html", "http://x.gov.cn/", "http://x.gov.cn/%E6%96%B0%E9%97%BB/%E8%A6%81%E9%97%BB.html"),
        ("/%7euser/", "http://x.gov.cn/", "http://x.gov.cn/~user/"),
        ("javascript:void(0)", "http://x.gov.cn/", None),
        ("mailto:a@b.cn", None, None),
        ("ftp://x.gov.cn/file", None, None),
        ("http://[::1", None, None),
    ],
)
def test_normalize_url(raw, base, expected):
    assert normalize_url(raw, base) == expected


def test_traps_by_shape():
    assert trap_reason("http://x.gov.cn/a/b/a/b/a/b/") == "路径重复"
    assert trap_reason("http://x.gov.cn/?" + "&".join(f"k{i}=1" for i in range(7))) == "查询参数过多"
    assert trap_reason("http://x.gov.cn/" + "a" * 500) == "网址过长"
    assert trap_reason("http://x.gov.cn/col/ywdt/index_2.html") is None
    assert is_calendar_url("http://x.gov.cn/calendar/?month=2024-06")
    assert is_calendar_url("http://x.gov.cn/event?year=2024&month=6")
    assert not is_calendar_url("http://x.gov.cn/art/2024/6/1/art_1.html")


def test_loopback_hosts():
    assert is_loopback_host("127.0.0.1") and is_loopback_host("127.5.6.7") and is_loopback_host("localhost")
    assert is_loopback_host("[::1]")
    assert not is_loopback_host("www.example.gov.cn") and not is_loopback_host("10.0.0.1")


TEXT = "<p>发布时间：2024-06-01 来源：示例市人民政府办公室</p>"


@pytest.mark.parametrize(
    ("body", "ctype", "encoding", "problem"),
    [
        # declared in the header
        (TEXT.encode("gbk"), "text/html; charset=GBK", "gb18030", False),
        (TEXT.encode("utf-8"), "text/html; charset=utf-8", "utf-8", False),
        # declared in <meta> only (GB2312 decoded as its superset)
        (('<meta charset="gb2312">' + TEXT).encode("gb2312"), "text/html", "gb18030", False),
        (
            ('<meta http-equiv="Content-Type" content="text/html; charset=gb18030">' + TEXT).encode(
                "gb18030"
            ),
            None,
            "gb18030",
            False,
        ),
        # not declared: trial decode
        (TEXT.encode("gbk"), "text/html", "gb18030", False),
        (TEXT.encode("utf-8"), None, "utf-8", False),
        # declared wrongly: header says UTF-8, bytes are GBK; and a permissive latin-1 claim
        (TEXT.encode("gbk"), "text/html; charset=utf-8", "gb18030", True),
        (TEXT.encode("utf-8"), "text/html; charset=iso-8859-1", "utf-8", True),
        # BOM wins
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "text/html; charset=gbk", "utf-8", False),
    ],
)
def test_decode_html(body, ctype, encoding, problem):
    d = decode_html(body, ctype)
    assert d.encoding == encoding
    assert "来源：示例市人民政府办公室" in d.text
    assert (d.problem is not None) is problem


def test_gb2312_declared_page_with_gbk_only_character():
    # 镕 is in GBK but not in GB2312: pages declared GB2312 routinely contain such characters.
    body = "<p>朱镕基 来源：档案馆</p>".encode("gbk")
    d = decode_html(body, "text/html; charset=gb2312")
    assert "朱镕基" in d.text and d.problem is None


def test_decode_garbage_never_raises():
    d = decode_html(bytes(range(128, 256)) * 3, "text/html; charset=nonsense-charset")
    assert isinstance(d.text, str)


@pytest.mark.parametrize(
    ("info_bar", "date", "source"),
    [
        ("发布时间：2024-06-01 09:30 来源：市发展改革委", "2024-06-01", "市发展改革委"),
        ("发布日期：2024年6月2日 信息来源：县人民政府办公室", "2024-06-02", "县人民政府办公室"),
        ("日期：2024.06.03 文章来源：本网", "2024-06-03", "本网"),
        ("来源：市统计局 2024-06-04", "2024-06-04", "市统计局"),  # date only on the 来源 line
        ("发布时间：2024-06-05 来源： 作者：张三", "2024-06-05", None),  # 来源 left blank
        ("发布时间：2024-06-06 浏览次数：12", "2024-06-06", None),
        ("相关链接 2023-01-01 无标注", None, None),  # an unlabelled date is not the article's date
    ],
)
def test_article_date_and_source(info_bar, date, source):
    from govassess.inspection.parse import parse_page

    info = parse_page(
        "http://x.gov.cn/a.html", f"<html><body><h1>标题</h1><div>{info_bar}</div></body></html>"
    )
    assert (info.date.isoformat() if info.date else None) == date
    assert info.source == source


def test_list_records_shipped_in_script_xml_are_entries():
    from govassess.inspection.parse import parse_page

    records = "".join(
        f'<record><![CDATA[<li><a href="/art/2024/6/{d}/art_1_{d}.html" title="条目{d}">条目{d}</a>'
        f"<span>2024-06-{d:02d}</span></li>]]></record>"
        for d in (3, 9)
    )
    page_html = (
        '<html><body><div id="1234"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/x"></a>]]>'
        f"</nextgroup><recordset>{records}</recordset></datastore></script></div></body></html>"
    )
    info = parse_page("http://x.gov.cn/col/col1/index.html", page_html)
    assert [(e.title, e.date.isoformat()) for e in info.entries] == [
        ("条目3", "2024-06-03"),
        ("条目9", "2024-06-09"),
    ]
    # The records' links are followed like ordinary links.
    assert "http://x.gov.cn/art/2024/6/9/art_1_9.html" in {lk.url for lk in info.links}


def test_loopback_guard_refuses_other_addresses():
    import socket

    from govassess.inspection.testsite import loopback_only

    before = socket.create_connection  # this folder's own guard may already be in place
    with loopback_only() as refused:
        with pytest.raises(OSError, match="non-loopback"):
            socket.create_connection(("192.0.2.1", 80), timeout=0.1)  # TEST-NET-1: refused before any packet
    assert refused == [("192.0.2.1", 80)]
    assert socket.create_connection is before  # restored after the block
