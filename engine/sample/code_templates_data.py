"""Code-finding templates for how services query, hold and log data.

Covers SQL injection, hardcoded secrets, PII in logs and missing encryption.

Part of `engine.sample.code_templates.TEMPLATES`; see there for the placeholders.
"""

from __future__ import annotations

from engine.sample.records import Tpl
from engine.sample.services import ENC, JAVA_SRC, PII, SECRET, SQL

DATA_TEMPLATES: dict[str, dict[str, tuple[Tpl, ...]]] = {
    SQL: {
        "java": (
            Tpl(
                "SQL injection in {E}RepositoryImpl.findBy{P}",
                "{E}RepositoryImpl.findBy{P} concatenates the '{p}' request parameter into a "
                "native query passed to EntityManager.createNativeQuery. A caller can rewrite "
                "the WHERE clause to read or modify other {ws}; bind it as a named parameter.",
                JAVA_SRC + "repository/{E}RepositoryImpl.java",
                "CWE-89",
            ),
            Tpl(
                "SQL injection through JdbcTemplate query in {E}Dao",
                "{E}Dao.search builds its SQL with String.format and the user-supplied '{p}' "
                "filter, then runs it with jdbcTemplate.queryForList. Input containing a quote "
                "can append a UNION SELECT and exfiltrate data from the {svc} database; use a "
                "PreparedStatement with ? placeholders.",
                JAVA_SRC + "dao/{E}Dao.java",
                "CWE-89",
            ),
            Tpl(
                "HQL injection in {E}Service report query",
                "{E}Service.report appends '{p}' to an HQL string given to session.createQuery. "
                "Hibernate passes the injected fragment through to SQL, so a user can bypass "
                "the tenant filter on {ws}; use setParameter instead of concatenation.",
                JAVA_SRC + "service/{E}Service.java",
                "CWE-564",
            ),
        ),
        "python": (
            Tpl(
                "SQL injection in {E}Repository query built with an f-string",
                "{E}Repository.search passes an f-string containing the '{ps}' argument to "
                "SQLAlchemy text(), and the value comes straight from the query string. An "
                "attacker can break out of the literal and read any {w} row; bind :{ps} as a "
                "parameter instead.",
                "app/repositories/{e}_repository.py",
                "CWE-89",
            ),
            Tpl(
                "Raw SQL with string formatting in {es} listing view",
                "list_{es} in {file} formats request.args['{ps}'] into a raw statement "
                "executed with db.session.execute. A value such as ' OR 1=1 -- returns every "
                "{w} across tenants; use the ORM filter or bound parameters.",
                "app/routes/{es}.py",
                "CWE-89",
            ),
            Tpl(
                "SQL injection in cursor.execute call in {w} export",
                "The {w} export calls cursor.execute with a query built by '%' formatting of "
                "'{ps}' instead of passing parameters separately, so the value is spliced in "
                "before the driver can escape it. Anyone who can schedule an export can run "
                "arbitrary SQL as the service account.",
                "app/services/{e}_export.py",
                "CWE-89",
            ),
        ),
        "typescript": (
            Tpl(
                "SQL injection in {c}Repository via knex.raw",
                "{E}Repository.list passes req.query.{p} into knex.raw inside a template "
                "literal. The surrounding query is parameterised, but this fragment allows "
                "boolean-based blind extraction of other tables; map it to an allow-list or "
                "use knex bindings.",
                "src/repositories/{c}Repository.ts",
                "CWE-89",
            ),
            Tpl(
                "Unparameterised TypeORM query in {c}Service",
                "{E}Service.find{Es} calls manager.query with a string built from the '{p}' "
                "parameter. Because the request is authenticated only by an API key shared "
                "across partners, any partner can read or delete {ws}; pass values in the "
                "parameters array.",
                "src/services/{c}Service.ts",
                "CWE-89",
            ),
            Tpl(
                "SQL injection in sequelize.query in {c}Controller",
                "{c}Controller.search interpolates req.body.{p} into sequelize.query without "
                "replacements. A crafted body can stack statements against the {svc} "
                "database; use the replacements option or model finders.",
                "src/controllers/{c}Controller.ts",
                "CWE-89",
            ),
        ),
        "go": (
            Tpl(
                "SQL injection in {E}Store query built with fmt.Sprintf",
                "{E}Store.List builds its query with fmt.Sprintf and the '{p}' URL parameter "
                "before calling db.QueryContext. A crafted value can read or change any {w} "
                "row; use $1-style placeholders.",
                "internal/store/{e}_store.go",
                "CWE-89",
            ),
            Tpl(
                "String-concatenated SQL in {w} handler",
                'The {w} handler concatenates r.URL.Query().Get("{p}") into a SELECT passed '
                "to sqlx.Select. The endpoint is reachable from the public API gateway, so "
                "unauthenticated callers can dump the table; bind the value as an argument.",
                "internal/handlers/{e}.go",
                "CWE-89",
            ),
        ),
    },
    SECRET: {
        "java": (
            Tpl(
                "{Kind} hard-coded in {file}",
                "{E}ClientConfig assigns {a_kind} (starting {tok}) to a static final String "
                "used to build the {w} client. Anyone with access to the repository, its forks or CI "
                "logs can {impact}; revoke it and load it from {var} via the secret manager.",
                JAVA_SRC + "config/{E}ClientConfig.java",
                "CWE-798",
                120,
            ),
            Tpl(
                "{Kind} committed in Spring profile",
                "{file} sets {a_kind} (starting {tok}) in plain text for the prod profile. "
                "The file is packaged into the {svc} jar, so the value also ships in every image; move "
                "it to {var} and rotate it.",
                "src/main/resources/application-prod.yml",
                "CWE-798",
                160,
            ),
        ),
        "python": (
            Tpl(
                "{Kind} hard-coded in {file}",
                "{file} defines {a_kind} (starting {tok}) as a module-level constant used by "
                "the {w} client. With it anyone who can read the repository can {impact}; read it from "
                "the {var} environment variable and rotate the exposed value.",
                "app/clients/{e}_client.py",
                "CWE-798",
                120,
            ),
            Tpl(
                "{Kind} left in {w} backfill script",
                "scripts/backfill_{es}.py embeds {a_kind} (starting {tok}) that was used for "
                "a one-off migration and never removed. The script is in the default branch, so the "
                "credential is still live; revoke it and pass it through {var}.",
                "scripts/backfill_{es}.py",
                "CWE-798",
                90,
            ),
            Tpl(
                "{Kind} in production config class",
                "ProductionConfig in app/config.py sets {a_kind} (starting {tok}) as a literal. "
                "Anyone with read access to the repository can {impact}; load it from {var}.",
                "app/config.py",
                "CWE-798",
                140,
            ),
        ),
        "typescript": (
            Tpl(
                "{Kind} hard-coded in {file}",
                "{c}Client.ts passes {a_kind} (starting {tok}) as a literal to the SDK "
                "constructor. The string ends up in the compiled bundle and the repository "
                "history, so anyone with either can {impact}; read it from process.env.{var}.",
                "src/clients/{c}Client.ts",
                "CWE-798",
                120,
            ),
            Tpl(
                "{Kind} committed in .env.production",
                ".env.production is tracked in git and contains {a_kind} (starting {tok}). Every "
                "developer and CI job that clones {svc} receives the production value; remove "
                "the file from the repository and rotate {var}.",
                ".env.production",
                "CWE-798",
                60,
            ),
        ),
        "go": (
            Tpl(
                "{Kind} hard-coded in {file}",
                "{file} declares {a_kind} (starting {tok}) as a package-level const used by "
                "the {w} client. It is compiled into the binary and visible with strings(1), so anyone "
                "with the image can {impact}; read it from {var}.",
                "internal/clients/{e}_client.go",
                "CWE-798",
                120,
            ),
            Tpl(
                "{Kind} in Helm production values",
                "deploy/helm/values-prod.yaml sets {a_kind} (starting {tok}) as a plain env value "
                "instead of referencing a Kubernetes Secret. The chart repository is readable "
                "by the whole engineering org; move it to a sealed secret named {var}.",
                "deploy/helm/values-prod.yaml",
                "CWE-798",
                200,
            ),
        ),
    },
    PII: {
        "java": (
            Tpl(
                "{Data} logged in {E}Service.process",
                "{E}Service.process logs the full {E} object at INFO via SLF4J, and its "
                "toString() includes the customer's {data}. Logs ship to the shared ELK cluster "
                "with 90-day retention and broad read access; mask or drop the field.",
                JAVA_SRC + "service/{E}Service.java",
                "CWE-532",
            ),
            Tpl(
                "{Data} included in exception message in {E}Controller",
                "{E}Controller builds an IllegalArgumentException message containing the "
                "request's {data}, and the global exception handler logs messages with stack "
                "traces. Failed requests therefore leak personal data into error logs and "
                "Sentry events.",
                JAVA_SRC + "controller/{E}Controller.java",
                "CWE-532",
            ),
        ),
        "python": (
            Tpl(
                "{Data} written to logs in {w} service",
                "{file} calls logger.info with an f-string containing the customer's {data} "
                "while processing {ws}. The log stream is forwarded to a third-party log vendor, which is "
                "not covered by the data processing agreement; log the {w} id instead.",
                "app/services/{e}_service.py",
                "CWE-532",
            ),
            Tpl(
                "Request body with {data} logged by middleware",
                "The before_request hook in app/middleware/logging.py dumps request.get_json() "
                "for /{k} routes, whose payloads include the {data}. Every create and update "
                "call copies personal data into the access log.",
                "app/middleware/logging.py",
                "CWE-532",
                200,
            ),
        ),
        "typescript": (
            Tpl(
                "{Data} logged with console.log in {c}Controller",
                "{c}Controller.create calls console.log(req.body) while debugging a support "
                "ticket, and the body includes the {data}. Container stdout is collected into "
                "CloudWatch with no field redaction; remove the call or redact the field.",
                "src/controllers/{c}Controller.ts",
                "CWE-532",
            ),
            Tpl(
                "Winston logger records full {w} payload including {data}",
                "{c}Service logs the whole {w} with logger.info({{ {c} }}), which serialises the "
                "{field} property ({data}). Configure a redaction format or log the id only.",
                "src/services/{c}Service.ts",
                "CWE-532",
            ),
        ),
        "go": (
            Tpl(
                "{Data} logged in {w} handler",
                'The {w} handler calls log.Printf("%+v") on the decoded {E} struct, which '
                "prints the {data}. Pod logs are retained for 30 days and readable by all "
                "on-call engineers; log the {w} id instead.",
                "internal/handlers/{e}.go",
                "CWE-532",
            ),
            Tpl(
                "{Data} emitted through zap.Any in {E}Service",
                '{file} logs zap.Any("{e}", {c}) on every update, so the {data} lands in the '
                "structured logs and the tracing backend; add a MarshalLogObject that omits it.",
                "internal/service/{e}_service.go",
                "CWE-532",
            ),
        ),
    },
    ENC: {
        "java": (
            Tpl(
                "{Data} stored unencrypted in {E} entity",
                "The {E} JPA entity maps {field} ({data}) to a plain @Column with no "
                "AttributeConverter for encryption. A database dump or backup leak exposes it "
                "in clear text; encrypt the column with the KMS-backed converter.",
                JAVA_SRC + "model/{E}.java",
                "CWE-312",
                160,
            ),
            Tpl(
                "{W} partner client uses plain HTTP",
                "{E}PartnerClient configures its RestTemplate with an http:// base URL, so the "
                "{data} travels unencrypted across the shared network. Switch to HTTPS with "
                "certificate validation.",
                JAVA_SRC + "client/{E}PartnerClient.java",
                "CWE-319",
            ),
        ),
        "python": (
            Tpl(
                "{Data} stored in plaintext column on {E} model",
                "The {E} SQLAlchemy model declares {fs} ({data}) as a plain Column(String) with "
                "no field-level encryption, and nightly exports copy the table to the analytics "
                "bucket. Use the EncryptedType column backed by KMS.",
                "app/models/{e}.py",
                "CWE-312",
                160,
            ),
            Tpl(
                "{W} exports uploaded to S3 without server-side encryption",
                "{file} calls s3.put_object for {w} exports without ServerSideEncryption or a "
                "KMS key, and the files contain the {data}. Set ServerSideEncryption='aws:kms' "
                "and enforce it with a bucket policy.",
                "app/services/{e}_export.py",
                "CWE-311",
            ),
        ),
        "typescript": (
            Tpl(
                "{W} webhook delivered over plain HTTP",
                "{c}WebhookService posts {w} events, including the customer's {data}, to partner URLs "
                "without rejecting http:// schemes. Events can be read or altered in transit; "
                "require https URLs at registration.",
                "src/services/{c}WebhookService.ts",
                "CWE-319",
            ),
            Tpl(
                "{Data} saved unencrypted in {E} entity",
                "The TypeORM {E} entity stores {field} ({data}) in a varchar @Column without a "
                "transformer. Read replicas and backups hold the value in clear text; add an "
                "encrypting column transformer.",
                "src/entities/{E}.ts",
                "CWE-312",
                140,
            ),
        ),
        "go": (
            Tpl(
                "Database connection with sslmode=disable",
                "{file} builds the Postgres DSN with sslmode=disable, so queries and results, "
                "including customers' {data} values, cross the network unencrypted. Use "
                "sslmode=verify-full with the RDS CA bundle.",
                "internal/store/{e}_store.go",
                "CWE-319",
            ),
            Tpl(
                "{Data} persisted without encryption in {E} record",
                "The {E} struct writes {field} ({data}) straight to the {es} table. Encrypt it "
                "with the envelope-encryption helper before insert.",
                "internal/{e}/model.go",
                "CWE-311",
                160,
            ),
        ),
    },
}
