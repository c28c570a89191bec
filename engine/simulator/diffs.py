"""Unified diffs for simulated pull requests: a hunk in the flagged file, and a new test file.

The diffs are what `git diff` prints: a `diff --git` header, `index` line, `---`/`+++` names
and `@@ -a,b +c,d @@` hunks whose counts match their lines, so any diff viewer renders them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from engine.simulator.code_profiles import CodeFile

_PLACEHOLDER = re.compile(r"\{(name|Name|NAME|var)\}")


def fill(lines: Sequence[str], values: dict[str, str]) -> list[str]:
    """The lines with {name}, {Name}, {NAME} and {var} replaced; other braces are code."""
    return [_PLACEHOLDER.sub(lambda m: values[m.group(1)], line) for line in lines]


def _blob(path: str, *parts: object) -> str:
    """A stand-in for a git blob id: stable for the same content."""
    return hashlib.sha256("|".join(map(str, (path, *parts))).encode()).hexdigest()[:7]


def _index(path: str, *parts: object) -> str:
    return f"index {_blob(path, 'before', *parts)}..{_blob(path, 'after', *parts)} 100644"


def changed_file(
    path: str, line: int, context: Sequence[str], removed: Sequence[str], added: Sequence[str]
) -> str:
    """One hunk replacing `removed` by `added` at `line` (1-based), after `context` lines."""
    start = max(1, line - len(context))
    old, new = len(context) + len(removed), len(context) + len(added)
    body = [f" {c}" for c in context] + [f"-{r}" for r in removed] + [f"+{a}" for a in added]
    head = [f"diff --git a/{path} b/{path}", _index(path, *removed, *added), f"--- a/{path}", f"+++ b/{path}"]
    hunk = f"@@ -{start},{old} +{start},{new} @@" if old else f"@@ -{start - 1},0 +{start},{new} @@"
    return "\n".join([*head, hunk, *body]) + "\n"


def new_file(path: str, lines: Sequence[str]) -> str:
    head = [f"diff --git a/{path} b/{path}", "new file mode 100644", f"index 0000000..{_blob(path, *lines)}"]
    return (
        "\n".join(
            [
                *head,
                "--- /dev/null",
                f"+++ b/{path}",
                f"@@ -0,0 +1,{len(lines)} @@",
                *[f"+{x}" for x in lines],
            ]
        )
        + "\n"
    )


def diff_stats(diff: str) -> dict[str, tuple[int, int]]:
    """Per file: (lines added, lines removed)."""
    stats: dict[str, list[int]] = {}
    current = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            current = line[6:] if line.startswith("+++ b/") else None
            if current is not None:
                stats.setdefault(current, [0, 0])
        elif current is not None and line.startswith("+"):
            stats[current][0] += 1
        elif current is not None and line.startswith("-") and not line.startswith("--- "):
            stats[current][1] += 1
    return {path: (a, r) for path, (a, r) in stats.items()}


_TEST_CASE = re.compile(
    r"^\s*(def test_|it\(|@Test|\[Fact\]|#\[test\]|func Test|public function test_|int main)"
)


def test_cases(lines: Sequence[str]) -> int:
    """How many test cases a generated test file holds (what `tests_added` reports)."""
    return max(1, sum(1 for line in lines if _TEST_CASE.match(line)))


def _literal(payload: str) -> str:
    return '"' + payload.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_file_lines(file: CodeFile, test_path: str, test_name: str, payload: str, subject: str) -> list[str]:
    """A regression test in the project's style: the hostile input is refused (or made harmless)
    and ordinary input still works. `subject` names the function under test."""
    words = test_name.split("_")
    camel = words[0] + "".join(w.capitalize() for w in words[1:])
    hostile = _literal(payload or "hostile-input")
    language = file.language
    if test_path.endswith(".py"):
        module = file.path.removesuffix(".py").replace("/", ".") if file.path.endswith(".py") else "app"
        return [
            "import pytest", "", f"from {module} import {subject}", "", "",
            f"def test_{test_name}():",
            "    with pytest.raises(ValueError):",
            f"        {subject}({hostile})", "", "",
            "def test_ordinary_input_still_works():",
            f'    assert {subject}("ordinary-value") is not None',
        ]  # fmt: skip
    if test_path.endswith((".test.ts", ".test.js")):
        return [
            f"import {{ {subject} }} from './{file.stem}';", "",
            f"describe('{subject}', () => {{",
            f"  it('{test_name.replace('_', ' ')}', () => {{",
            f"    expect(() => {subject}({hostile})).toThrow();",
            "  });",
            "  it('still accepts ordinary input', () => {",
            f"    expect({subject}('ordinary-value')).toBeDefined();",
            "  });",
            "});",
        ]  # fmt: skip
    if language in ("java", "kotlin", "scala"):
        package = _java_package(test_path)
        return [
            *([f"package {package};", ""] if package else []),
            "import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;",
            "import static org.junit.jupiter.api.Assertions.assertThrows;", "",
            "import org.junit.jupiter.api.Test;", "",
            f"class {file.pascal}Test {{", "",
            f"    private final {file.pascal} subject = new {file.pascal}();", "",
            "    @Test",
            f"    void {camel}() {{",
            f"        assertThrows(IllegalArgumentException.class, () -> subject.{subject}({hostile}));",
            "    }", "",
            "    @Test",
            "    void ordinaryInputStillWorks() {",
            f'        assertDoesNotThrow(() -> subject.{subject}("ordinary-value"));',
            "    }",
            "}",
        ]  # fmt: skip
    if language == "go":
        return [
            f"package {file.snake.split('_')[0] or 'main'}", "", 'import "testing"', "",
            f"func Test{file.pascal}{''.join(w.capitalize() for w in words)}(t *testing.T) {{",
            f"\tif _, err := {subject}({hostile}); err == nil {{",
            '\t\tt.Fatal("hostile input was accepted")',
            "\t}",
            f'\tif _, err := {subject}("ordinary-value"); err != nil {{',
            '\t\tt.Fatalf("ordinary input refused: %v", err)',
            "\t}",
            "}",
        ]  # fmt: skip
    if language in ("c", "cpp", "objective-c"):
        return [
            f'#include "{file.stem}.h"', "#include <assert.h>", "",
            "int main(void) {",
            f"    assert({subject}({hostile}) != 0);  /* refused, and ASan stays quiet */",
            f'    assert({subject}("ordinary-value") == 0);',
            "    return 0;",
            "}",
        ]  # fmt: skip
    if language == "ruby":
        return [
            f"RSpec.describe '{subject}' do",
            f"  it '{test_name.replace('_', ' ')}' do",
            f"    expect {{ {subject}({hostile}) }}.to raise_error(ArgumentError)",
            "  end",
            "end",
        ]  # fmt: skip
    if language == "php":
        return [
            "<?php", "", "use PHPUnit\\Framework\\TestCase;", "",
            f"final class {file.pascal}Test extends TestCase", "{",
            f"    public function test_{test_name}(): void",
            "    {",
            "        $this->expectException(InvalidArgumentException::class);",
            f"        {subject}({hostile});",
            "    }",
            "}",
        ]  # fmt: skip
    if language == "csharp":
        return [
            "using Xunit;", "",
            f"public class {file.pascal}Tests", "{",
            "    [Fact]",
            f"    public void {camel[:1].upper() + camel[1:]}() =>",
            f"        Assert.Throws<ArgumentException>(() => new {file.pascal}().{subject}({hostile}));",
            "}",
        ]  # fmt: skip
    if language == "rust":
        return [
            f"use service::{file.snake}::{subject};", "", "#[test]",
            f"fn {test_name}() {{",
            f"    assert!({subject}({hostile}).is_err());",
            f'    assert!({subject}("ordinary-value").is_ok());',
            "}",
        ]  # fmt: skip
    return [f"# {test_name}: {subject}({hostile}) is refused"]


def _java_package(test_path: str) -> str:
    for marker in ("src/test/java/", "src/test/kotlin/", "src/test/scala/"):
        if marker in test_path:
            folder = (
                test_path.split(marker, 1)[1].rsplit("/", 1)[0]
                if "/" in test_path.split(marker, 1)[1]
                else ""
            )
            return folder.replace("/", ".")
    return ""
