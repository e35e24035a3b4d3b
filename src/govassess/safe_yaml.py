"""The one way every YAML file (systems, forms, maps, rules, calendars, configs) is read.

PyYAML's safe loader already refuses tags that build objects, but it happily composes a document whose
aliases expand exponentially ("billion laughs": 9 aliases per level, 9 levels, a billion nodes for whoever
walks the tree afterwards) or refer to themselves. Both are refused here before anything walks the data;
files in another encoding and YAML syntax errors get a Chinese message with the line, never PyYAML's English.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from govassess.errors import UserError

DEFAULT_MAX_NODES = 200_000
DEFAULT_MAX_DEPTH = 100


def max_nodes() -> int:
    """Nodes a document may have once aliases are expanded; the largest built-in file (the survey form) has ~1,500."""
    return _env_int("GOVASSESS_YAML_MAX_NODES", DEFAULT_MAX_NODES)


def max_depth() -> int:
    return _env_int("GOVASSESS_YAML_MAX_DEPTH", DEFAULT_MAX_DEPTH)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UserError(f"环境变量 {name} 应为正整数，实际为「{raw}」") from None
    if value <= 0:
        raise UserError(f"环境变量 {name} 应为正整数，实际为「{raw}」")
    return value


_PROBLEMS = (
    ("expected ',' or ']'", "列表没有闭合（缺少 ] 或 ,）"),
    ("expected ',' or '}'", "映射没有闭合（缺少 } 或 ,）"),
    ("mapping values are not allowed", "此处不能出现冒号（值中含冒号时请加引号，或检查缩进）"),
    ("found character '\\t'", "不能用制表符（Tab）缩进，请改用空格"),
    ("found undefined alias", "引用了未定义的锚点"),
    ("found duplicate anchor", "锚点名称重复"),
    ("could not find expected ':'", "缺少冒号（键: 值）"),
    ("did not find expected key", "缩进不一致或缺少键"),
    ("did not find expected '-'", "列表项缩进不一致"),
    ("found unexpected end of stream", "文件意外结束（引号或括号未闭合）"),
    ("while scanning a quoted scalar", "引号没有闭合"),
    ("expected a single document", "文件中只能有一个文档（不要用 --- 分隔多个文档）"),
    ("could not determine a constructor", "含有不允许的标签（!! 或 ! 开头的类型标记）"),
    ("found unhashable key", "映射的键不能是列表或映射"),
    ("found unacceptable character", "含有不允许的控制字符"),
)


def _message(e: yaml.YAMLError) -> str:
    text = f"{getattr(e, 'context', '') or ''} {getattr(e, 'problem', '') or ''}"
    detail = next((zh for en, zh in _PROBLEMS if en in text), "格式错误")
    ctx = getattr(e, "context_mark", None)
    start = f"（从第 {ctx.line + 1} 行开始）" if ctx is not None else ""
    return f"YAML 格式错误：{detail}{start}"


def _row(e: yaml.YAMLError) -> int | None:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def _check_expansion(root: yaml.Node, file: str | None) -> None:
    """Refuse alias cycles, documents deeper than max_depth() and more than max_nodes() nodes once expanded."""
    limit, depth_limit = max_nodes(), max_depth()
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # Iterative post-order walk (a deep document must not exhaust Python's stack here).
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > limit:
                raise UserError(
                    f"YAML 内容展开后超过 {limit} 个节点（锚点与引用 & / * 层层复制所致），"
                    "不予读取；如确需更大的文件，请设置环境变量 GOVASSESS_YAML_MAX_NODES",
                    file=file,
                    row=node.start_mark.line + 1,
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise UserError("YAML 中的引用（*）指向了包含它自身的锚点（&），形成循环", file=file, row=node.start_mark.line + 1)
        if depth > depth_limit:
            raise UserError(f"YAML 嵌套超过 {depth_limit} 层，不予读取", file=file, row=node.start_mark.line + 1)
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def load_yaml(text: str, *, file: str | None = None, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """Parse one YAML document from text; every failure is a UserError naming the file and line."""
    try:
        # The reader checks every character when it is built: a NUL or other control character raises here.
        ld = loader(text)
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1 if isinstance(e.position, int) else None
        code = e.character if isinstance(e.character, int) else ord(str(e.character)[:1] or "\0")
        raise UserError(f"YAML 格式错误：含有不允许的控制字符（U+{code:04X}）", file=file, row=line) from None
    try:
        node = ld.get_single_node()
        if node is None:
            return None
        _check_expansion(node, file)
        return ld.construct_document(node)
    except yaml.YAMLError as e:
        raise UserError(_message(e), file=file, row=_row(e)) from None
    except RecursionError:
        raise UserError("YAML 嵌套层数过多，不予读取", file=file) from None
    finally:
        ld.dispose()


def read_text(path: str | Path, *, file: str | None = None) -> str:
    """A UTF-8 text file (a BOM is allowed); GBK and other encodings get a message saying how to fix them."""
    where = file or str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError("文件不存在", file=where) from None
    except IsADirectoryError:
        raise UserError("这是一个目录，应为文件", file=where) from None
    except OSError as e:
        raise UserError(f"无法读取文件：{e.strerror}", file=where) from None
    return decode(raw, file=where)


def decode(raw: bytes, *, file: str | None = None) -> str:
    """UTF-8 bytes (a BOM is allowed) as text, for a file read from disk or uploaded; GBK is named as such."""
    where = file
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        try:
            raw.decode("gb18030")
        except UnicodeDecodeError:
            hint = "请另存为 UTF-8 编码"
        else:
            hint = "看起来是 GBK/GB18030 编码（如 Windows 记事本、WPS 的默认保存），请另存为 UTF-8 编码"
        line = raw[: e.start].count(b"\n") + 1
        raise UserError(f"文件不是 UTF-8 编码，{hint}", file=where, row=line) from None


def read_yaml(
    path: str | Path, *, file: str | None = None, loader: type[yaml.SafeLoader] = yaml.SafeLoader
) -> Any:
    """Read and parse a YAML file: read_text, then load_yaml."""
    where = file or str(path)
    return load_yaml(read_text(path, file=where), file=where, loader=loader)


def expect_mapping(data: Any, *, file: str | None = None, what: str = "文件内容") -> dict[str, Any]:
    """The document's top level must be a mapping (键: 值); say what it is instead."""
    if isinstance(data, dict):
        return data
    actual = {list: "列表", str: "一段文字", int: "数字", float: "数字", bool: "是/否", type(None): "空的"}.get(
        type(data), "其他内容"
    )
    raise UserError(f"{what}应为映射（每行“键: 值”），实际是{actual}", file=file)
