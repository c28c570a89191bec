"""Per language: the family its fix snippets come from, where its tests live, and how they run."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

# Families share fix snippets (engine.simulator.snippets): TypeScript reads like JavaScript,
# Kotlin and Scala like Java, C++ like C.
FAMILY: dict[str, str] = {
    "java": "java",
    "kotlin": "java",
    "scala": "java",
    "python": "python",
    "javascript": "js",
    "typescript": "js",
    "go": "go",
    "csharp": "csharp",
    "php": "php",
    "ruby": "ruby",
    "c": "c",
    "cpp": "c",
    "objective-c": "c",
    "rust": "rust",
    "dockerfile": "dockerfile",
    "terraform": "terraform",
}
TEMPLATE_SUFFIXES = (
    ".html",
    ".htm",
    ".ejs",
    ".jinja",
    ".jinja2",
    ".j2",
    ".twig",
    ".hbs",
    ".jsp",
    ".erb",
    ".vue",
)
CONFIG_SUFFIXES = (".yml", ".yaml", ".json", ".properties", ".ini", ".cfg", ".conf", ".env", ".toml", ".xml")


@dataclass(frozen=True)
class CodeFile:
    """The file a code fix edits and what follows from it."""

    path: str
    language: str
    family: str  # a FAMILY value, or "template" / "config" for non-code files

    @property
    def stem(self) -> str:
        name = posixpath.basename(self.path)
        return name.split(".", 1)[0] or "module"

    @property
    def pascal(self) -> str:
        words = [w for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", self.stem) if w]
        return "".join(w[:1].upper() + w[1:] for w in words) or "Module"

    @property
    def snake(self) -> str:
        words = [w for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", self.stem) if w]
        return "_".join(w.lower() for w in words) or "module"


def code_file(path: str, language: str) -> CodeFile:
    lowered = path.lower()
    if lowered.endswith(TEMPLATE_SUFFIXES):
        family = "template"
    elif posixpath.basename(path) == "Dockerfile" or posixpath.basename(path).startswith("Dockerfile."):
        family = "dockerfile"
    elif lowered.endswith(".tf"):
        family = "terraform"
    elif lowered.endswith(CONFIG_SUFFIXES):
        family = "config"
    else:
        family = FAMILY.get(language, "generic")
    return CodeFile(path=path, language=language, family=family)


def default_source_path(language: str, category: str, service: str) -> str:
    """Where the fix goes when the finding names no file: a plausible module of the service."""
    pkg = re.sub(r"[^a-z0-9]+", "", service.lower()) or "service"
    name = "".join(w.capitalize() for w in category.split("_"))
    return {
        "java": f"src/main/java/com/acme/{pkg}/security/{name}Guard.java",
        "kotlin": f"src/main/kotlin/com/acme/{pkg}/security/{name}Guard.kt",
        "python": f"app/security/{category}.py",
        "javascript": f"src/security/{name[:1].lower() + name[1:]}.js",
        "typescript": f"src/security/{name[:1].lower() + name[1:]}.ts",
        "go": f"internal/security/{category}.go",
        "csharp": f"src/Security/{name}Guard.cs",
        "php": f"src/Security/{name}Guard.php",
        "ruby": f"app/services/{category}_guard.rb",
        "c": f"src/{category}.c",
        "cpp": f"src/{category}.cpp",
        "rust": f"src/{category}.rs",
    }.get(language, f"src/{category}.py")


def test_path(file: CodeFile) -> str | None:
    """The regression test a fix adds next to the project's other tests; None where a test
    file is not how the fix is checked (infrastructure files are validated by tools)."""
    path, stem, pascal = file.path, file.stem, file.pascal
    folder = posixpath.dirname(path)
    if file.family in ("dockerfile", "terraform", "config"):
        return None
    if file.family == "template":
        ext = "ts" if file.language == "typescript" else "py" if file.language == "python" else "js"
        return f"tests/test_{file.snake}_template.py" if ext == "py" else f"test/views/{stem}.test.{ext}"
    language = file.language
    if language in ("java", "kotlin", "scala"):
        ext = {"java": "java", "kotlin": "kt", "scala": "scala"}[language]
        if "/src/main/" in f"/{path}":
            return path.replace("src/main/", "src/test/", 1).rsplit("/", 1)[0] + f"/{pascal}Test.{ext}"
        return f"src/test/{ext}/{pascal}Test.{ext}"
    if language == "python":
        return f"tests/test_{file.snake}.py"
    if language in ("javascript", "typescript"):
        ext = "ts" if language == "typescript" else "js"
        return posixpath.join(folder, f"{stem}.test.{ext}")
    if language == "go":
        return posixpath.join(folder, f"{file.snake}_test.go")
    if language == "ruby":
        return f"spec/{file.snake}_spec.rb"
    if language == "php":
        return f"tests/{pascal}Test.php"
    if language == "csharp":
        return f"tests/{pascal}Tests.cs"
    if language in ("c", "cpp", "objective-c"):
        return f"tests/test_{file.snake}.{'cpp' if language == 'cpp' else 'c'}"
    if language == "rust":
        return f"tests/{file.snake}_test.rs"
    return f"tests/test_{file.snake}.py"


def test_commands(file: CodeFile, test_file: str | None, sanitizers: bool = False) -> list[str]:
    """The commands the simulated agent ran: the new test first, then the whole suite."""
    language, pascal = file.language, file.pascal
    if file.family == "dockerfile":
        return [f"hadolint {file.path}", "docker build -t service:fix ."]
    if file.family == "terraform":
        return ["terraform fmt -check", "terraform validate", f"checkov -f {file.path}"]
    if file.family == "config":
        return [
            f"yamllint {file.path}"
            if file.path.endswith((".yml", ".yaml"))
            else f"git diff --check {file.path}"
        ]
    if test_file is None:
        return []
    if test_file.endswith(".py"):
        return [f"pytest {test_file} -q", "pytest -q"]
    if test_file.endswith((".test.ts", ".test.js")):
        return [f"npx jest {test_file}", "npm test"]
    if language in ("java", "scala"):
        return [f"mvn -q test -Dtest={pascal}Test", "mvn -q verify"]
    if language == "kotlin":
        return [f"./gradlew test --tests '*{pascal}Test'", "./gradlew check"]
    if language == "go":
        folder = posixpath.dirname(file.path) or "."
        return [f"go test ./{folder}/... -run Test{pascal} -race", "go vet ./...", "go test ./..."]
    if language == "ruby":
        return [f"bundle exec rspec {test_file}", "bundle exec rspec"]
    if language == "php":
        return [f"vendor/bin/phpunit {test_file}", "vendor/bin/phpunit"]
    if language == "csharp":
        return [f"dotnet test --filter {pascal}Tests", "dotnet test"]
    if language in ("c", "cpp", "objective-c"):
        build = (
            "cmake -B build -DCMAKE_C_FLAGS='-fsanitize=address,undefined'"
            if sanitizers
            else "cmake -B build"
        )
        return [
            build,
            "cmake --build build",
            f"ctest --test-dir build -R test_{file.snake}",
            "ctest --test-dir build",
        ]
    if language == "rust":
        return [f"cargo test --test {file.snake}_test", "cargo test", "cargo clippy -- -D warnings"]
    return [f"pytest {test_file} -q"]
