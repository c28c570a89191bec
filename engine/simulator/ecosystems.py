"""Package ecosystems, for simulated dependency upgrades: which manifest and lock file a fix
touches for the finding's file or language, how the version line reads in each, and which
commands a careful agent runs to prove the upgrade."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass


@dataclass(frozen=True)
class Ecosystem:
    name: str  # npm, maven, gradle, pip, poetry, pipenv, go, bundler, cargo, nuget, composer, os
    manifest: str  # file name of the manifest (in the finding's folder)
    lock: str | None  # file name of the lock file, when the ecosystem has one
    commands: tuple[str, ...]  # with {pkg}, {to}, {artifact}

    def files(self, folder: str, given: str) -> list[str]:
        """The files a version bump changes, in the folder of the finding's file. The file the
        scanner named is always among them (a lock file may be all there is for a transitive
        package)."""
        names = [self.manifest, *([self.lock] if self.lock else [])]
        if given and posixpath.basename(given) not in names:
            names = [posixpath.basename(given), *names]
        return [posixpath.join(folder, name) if folder else name for name in names]


NPM = Ecosystem(
    "npm", "package.json", "package-lock.json", ("npm install {pkg}@{to}", "npm test", "npm audit --omit=dev")
)
YARN = Ecosystem("npm", "package.json", "yarn.lock", ("yarn up {pkg}@{to}", "yarn test", "yarn npm audit"))
PNPM = Ecosystem(
    "npm", "package.json", "pnpm-lock.yaml", ("pnpm update {pkg}@{to}", "pnpm test", "pnpm audit")
)
MAVEN = Ecosystem(
    "maven",
    "pom.xml",
    None,
    (
        "mvn -q versions:use-dep-version -Dincludes={pkg} -DdepVersion={to}",
        "mvn -q dependency:tree -Dincludes={pkg}",
        "mvn -q verify",
    ),
)
GRADLE = Ecosystem(
    "gradle",
    "build.gradle",
    None,
    ("./gradlew dependencies --configuration runtimeClasspath", "./gradlew test"),
)
GRADLE_KTS = Ecosystem("gradle", "build.gradle.kts", None, GRADLE.commands)
PIP = Ecosystem(
    "pip",
    "requirements.txt",
    None,
    ("pip install -r requirements.txt", "pip-audit -r requirements.txt", "pytest -q"),
)
POETRY = Ecosystem(
    "poetry", "pyproject.toml", "poetry.lock", ("poetry add {pkg}@^{to}", "poetry run pytest -q", "pip-audit")
)
PIPENV = Ecosystem(
    "pipenv",
    "Pipfile",
    "Pipfile.lock",
    ("pipenv install {pkg}=={to}", "pipenv run pytest -q", "pipenv check"),
)
UV = Ecosystem("uv", "pyproject.toml", "uv.lock", ("uv add '{pkg}>={to}'", "uv run pytest -q", "pip-audit"))
GO = Ecosystem(
    "go", "go.mod", "go.sum", ("go get {pkg}@v{to}", "go mod tidy", "go test ./...", "govulncheck ./...")
)
BUNDLER = Ecosystem(
    "bundler",
    "Gemfile",
    "Gemfile.lock",
    ("bundle update --conservative {pkg}", "bundle exec rspec", "bundle audit"),
)
CARGO = Ecosystem(
    "cargo", "Cargo.toml", "Cargo.lock", ("cargo update -p {pkg} --precise {to}", "cargo test", "cargo audit")
)
NUGET = Ecosystem(
    "nuget",
    "packages.lock.json",
    None,
    ("dotnet add package {pkg} --version {to}", "dotnet test", "dotnet list package --vulnerable"),
)
COMPOSER = Ecosystem(
    "composer",
    "composer.json",
    "composer.lock",
    ("composer require {pkg}:^{to}", "vendor/bin/phpunit", "composer audit"),
)
OS_PACKAGES = Ecosystem(
    "os",
    "Dockerfile",
    None,
    ("docker build -t service:fix .", "trivy image --severity HIGH,CRITICAL service:fix"),
)

_BY_FILE: dict[str, Ecosystem] = {
    "package.json": NPM,
    "package-lock.json": NPM,
    "npm-shrinkwrap.json": NPM,
    "yarn.lock": YARN,
    "pnpm-lock.yaml": PNPM,
    "pom.xml": MAVEN,
    "build.gradle": GRADLE,
    "build.gradle.kts": GRADLE_KTS,
    "gradle.lockfile": GRADLE,
    "requirements.txt": PIP,
    "requirements-dev.txt": PIP,
    "pyproject.toml": POETRY,
    "poetry.lock": POETRY,
    "Pipfile": PIPENV,
    "Pipfile.lock": PIPENV,
    "uv.lock": UV,
    "go.mod": GO,
    "go.sum": GO,
    "Gemfile": BUNDLER,
    "Gemfile.lock": BUNDLER,
    "Cargo.toml": CARGO,
    "Cargo.lock": CARGO,
    "packages.lock.json": NUGET,
    "packages.config": NUGET,
    "composer.json": COMPOSER,
    "composer.lock": COMPOSER,
    "Dockerfile": OS_PACKAGES,
}
_BY_LANGUAGE: dict[str, Ecosystem] = {
    "javascript": NPM,
    "typescript": NPM,
    "java": MAVEN,
    "kotlin": GRADLE_KTS,
    "scala": MAVEN,
    "python": PIP,
    "go": GO,
    "ruby": BUNDLER,
    "rust": CARGO,
    "csharp": NUGET,
    "php": COMPOSER,
}


def ecosystem_for(file_path: str, language: str) -> Ecosystem:
    """The ecosystem of the scanner's file (a manifest or lock file), else of the language;
    container findings without either are OS packages, fixed in the image's Dockerfile."""
    name = posixpath.basename(file_path)
    if name in _BY_FILE:
        return _BY_FILE[name]
    if name.endswith(".csproj"):
        return Ecosystem("nuget", name, None, NUGET.commands)
    if name.startswith("requirements") and name.endswith(".txt"):
        return Ecosystem("pip", name, None, PIP.commands)
    return _BY_LANGUAGE.get(language, OS_PACKAGES)


def is_manifest(file_path: str) -> bool:
    name = posixpath.basename(file_path)
    return (
        name in _BY_FILE
        or name.endswith(".csproj")
        or (name.startswith("requirements") and name.endswith(".txt"))
    )


def version_lines(
    eco: Ecosystem, file_name: str, package: str, old: str, new: str
) -> tuple[list[str], list[str], list[str]]:
    """(context before, removed, added) lines of the version bump in one of the ecosystem's files."""
    group, _, artifact = package.rpartition(":")
    short = artifact or package
    if file_name.endswith("package.json"):
        return ['  "dependencies": {'], [f'    "{package}": "^{old}",'], [f'    "{package}": "^{new}",']
    if file_name.endswith("package-lock.json") or file_name.endswith("npm-shrinkwrap.json"):
        return (
            [f'    "node_modules/{package}": {{'],
            [f'      "version": "{old}",'],
            [f'      "version": "{new}",'],
        )
    if file_name.endswith("yarn.lock"):
        return [f'"{package}@^{old}":'], [f'  version "{old}"'], [f'  version "{new}"']
    if file_name.endswith("pnpm-lock.yaml"):
        return ["  dependencies:"], [f"    {package}: {old}"], [f"    {package}: {new}"]
    if file_name.endswith("pom.xml"):
        return (
            [
                "    <dependency>",
                f"      <groupId>{group or short}</groupId>",
                f"      <artifactId>{short}</artifactId>",
            ],
            [f"      <version>{old}</version>"],
            [f"      <version>{new}</version>"],
        )
    if file_name.endswith((".gradle", ".gradle.kts")):
        coordinate = f"{group}:{short}" if group else short
        return (
            ["dependencies {"],
            [f'    implementation("{coordinate}:{old}")'],
            [f'    implementation("{coordinate}:{new}")'],
        )
    if file_name.endswith("gradle.lockfile"):
        return [], [f"{package}:{old}=runtimeClasspath"], [f"{package}:{new}=runtimeClasspath"]
    if file_name.endswith(".txt"):
        return [], [f"{package}=={old}"], [f"{package}=={new}"]
    if file_name.endswith("pyproject.toml"):
        return ["[tool.poetry.dependencies]"], [f'{package} = "^{old}"'], [f'{package} = "^{new}"']
    if file_name.endswith(("poetry.lock", "uv.lock", "Cargo.lock")):
        return ["[[package]]", f'name = "{package}"'], [f'version = "{old}"'], [f'version = "{new}"']
    if file_name.endswith("Pipfile"):
        return ["[packages]"], [f'{package} = "=={old}"'], [f'{package} = "=={new}"']
    if file_name.endswith(("Pipfile.lock", "packages.lock.json", "composer.lock")):
        return (
            [f'        "{package}": {{'],
            [f'            "version": "=={old}",'],
            [f'            "version": "=={new}",'],
        )
    if file_name.endswith("go.mod"):
        return ["require ("], [f"\t{package} v{old.lstrip('v')}"], [f"\t{package} v{new.lstrip('v')}"]
    if file_name.endswith("go.sum"):
        return (
            [],
            [f"{package} v{old.lstrip('v')} h1:{_fake_hash(package, old)}="],
            [f"{package} v{new.lstrip('v')} h1:{_fake_hash(package, new)}="],
        )
    if file_name.endswith("Gemfile"):
        return [], [f"gem '{package}', '~> {old}'"], [f"gem '{package}', '~> {new}'"]
    if file_name.endswith("Gemfile.lock"):
        return ["  specs:"], [f"    {package} ({old})"], [f"    {package} ({new})"]
    if file_name.endswith("Cargo.toml"):
        return ["[dependencies]"], [f'{package} = "{old}"'], [f'{package} = "{new}"']
    if file_name.endswith((".csproj", "packages.config")):
        return (
            ["  <ItemGroup>"],
            [f'    <PackageReference Include="{package}" Version="{old}" />'],
            [f'    <PackageReference Include="{package}" Version="{new}" />'],
        )
    if file_name.endswith("composer.json"):
        return ['    "require": {'], [f'        "{package}": "^{old}",'], [f'        "{package}": "^{new}",']
    if file_name.endswith("Dockerfile"):
        return (
            ["FROM debian:bookworm-slim"],
            [f"RUN apt-get install -y --no-install-recommends {package}={old}"],
            [f"RUN apt-get install -y --no-install-recommends {package}={new}"],
        )
    return [], [f"{package} {old}"], [f"{package} {new}"]


def _fake_hash(package: str, version: str) -> str:
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha256(f"{package}@{version}".encode()).digest()).decode()[:43]
