"""The lines a simulated fix removes and adds, per category and code family (see
engine.simulator.code_profiles.FAMILY; "template" and "config" are non-code files, "*" is any
other family). Placeholders, replaced by name (other braces are code): {name} (snake_case of the
file), {Name} (PascalCase), {NAME} (upper case) and {var} (the input the fix is about)."""

# ruff: noqa: E501  (a snippet is one line of code: splitting the literal would only obscure it)
from __future__ import annotations

Snippet = tuple[tuple[str, ...], tuple[str, ...]]  # (removed lines, added lines)

_S: dict[str, dict[str, Snippet]] = {
    "sql_injection": {
        "java": (
            (
                '        String sql = "SELECT * FROM {name} WHERE {var} = \'" + {var} + "\'";',
                "        Query query = entityManager.createNativeQuery(sql);",
            ),
            (
                '        String sql = "SELECT * FROM {name} WHERE {var} = :{var}";',
                '        Query query = entityManager.createNativeQuery(sql).setParameter("{var}", {var});',
            ),
        ),
        "python": (
            ("    cursor.execute(f\"SELECT * FROM {name} WHERE {var} = '{{var}}'\")",),
            ('    cursor.execute("SELECT * FROM {name} WHERE {var} = %s", ({var},))',),
        ),
        "js": (
            ("  const result = await pool.query(`SELECT * FROM {name} WHERE {var} = '${{var}}'`);",),
            ("  const result = await pool.query('SELECT * FROM {name} WHERE {var} = $1', [{var}]);",),
        ),
        "go": (
            (
                "\trows, err := db.QueryContext(ctx, fmt.Sprintf(\"SELECT * FROM {name} WHERE {var} = '%s'\", {var}))",
            ),
            ('\trows, err := db.QueryContext(ctx, "SELECT * FROM {name} WHERE {var} = $1", {var})',),
        ),
        "php": (
            ('    $rows = $db->query("SELECT * FROM {name} WHERE {var} = \'" . ${var} . "\'");',),
            (
                '    $stmt = $db->prepare("SELECT * FROM {name} WHERE {var} = ?");',
                "    $stmt->execute([${var}]);",
                "    $rows = $stmt->fetchAll();",
            ),
        ),
        "csharp": (
            (
                '        var cmd = new SqlCommand("SELECT * FROM {name} WHERE {var} = \'" + {var} + "\'", conn);',
            ),
            (
                '        var cmd = new SqlCommand("SELECT * FROM {name} WHERE {var} = @{var}", conn);',
                '        cmd.Parameters.AddWithValue("@{var}", {var});',
            ),
        ),
        "*": (
            ('    query = "SELECT * FROM {name} WHERE {var} = \'" + {var} + "\'"',),
            ('    query = bind("SELECT * FROM {name} WHERE {var} = ?", {var})',),
        ),
    },
    "xss": {
        "template": (
            ('    <div class="{name}"><%- {var} %></div>',),
            ('    <div class="{name}"><%= {var} %></div>',),
        ),
        "java": (
            ('        out.println("<p>" + {var} + "</p>");',),
            ('        out.println("<p>" + Encode.forHtml({var}) + "</p>");',),
        ),
        "python": (('    return f"<p>{{var}}</p>"',), ('    return f"<p>{escape({var})}</p>"',)),
        "js": (
            ("  res.send(`<p>${req.query.{var}}</p>`);",),
            ("  res.send(`<p>${escapeHtml(String(req.query.{var} ?? ''))}</p>`);",),
        ),
        "php": (
            ('    echo "<p>" . $_GET[\'{var}\'] . "</p>";',),
            ("    echo \"<p>\" . htmlspecialchars($_GET['{var}'], ENT_QUOTES, 'UTF-8') . \"</p>\";",),
        ),
        "go": (('\timport "text/template"',), ('\timport "html/template"',)),
        "*": (('    write("<p>" + {var} + "</p>")',), ('    write("<p>" + html_escape({var}) + "</p>")',)),
    },
    "path_traversal": {
        "java": (
            ("        File file = new File(baseDir, {var});",),
            (
                "        Path base = baseDir.toPath().toRealPath();",
                "        Path file = base.resolve({var}).normalize();",
                "        if (!file.startsWith(base)) {",
                '            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "invalid path");',
                "        }",
            ),
        ),
        "python": (
            ("    path = os.path.join(BASE_DIR, {var})",),
            (
                "    base = Path(BASE_DIR).resolve()",
                "    path = (base / {var}).resolve()",
                "    if not path.is_relative_to(base):",
                "        abort(400)",
            ),
        ),
        "js": (
            ("  const file = path.join(BASE_DIR, req.params.{var});",),
            (
                "  const file = path.resolve(BASE_DIR, req.params.{var});",
                "  if (!file.startsWith(path.resolve(BASE_DIR) + path.sep)) {",
                "    return res.status(400).end();",
                "  }",
            ),
        ),
        "go": (
            ("\tfull := filepath.Join(baseDir, {var})",),
            (
                '\tfull := filepath.Join(baseDir, filepath.Clean("/"+{var}))',
                '\tif rel, err := filepath.Rel(baseDir, full); err != nil || strings.HasPrefix(rel, "..") {',
                '\t\thttp.Error(w, "invalid path", http.StatusBadRequest)',
                "\t\treturn",
                "\t}",
            ),
        ),
        "*": (('    path = base_dir + "/" + {var}',), ("    path = resolve_inside(base_dir, {var})",)),
    },
    "hardcoded_secret": {
        "java": (
            ('    private static final String API_KEY = "sk_live_REDACTED";',),
            ('    @Value("${{NAME}_API_KEY}")', "    private String apiKey;"),
        ),
        "python": (('{NAME}_SECRET = "REDACTED-literal"',), ('{NAME}_SECRET = os.environ["{NAME}_SECRET"]',)),
        "js": (("const apiKey = 'REDACTED-literal';",), ("const apiKey = requireEnv('{NAME}_API_KEY');",)),
        "go": (('const apiKey = "REDACTED-literal"',), ('var apiKey = mustGetenv("{NAME}_API_KEY")',)),
        "config": (("  password: REDACTED-literal",), ("  password: ${{NAME}_PASSWORD}",)),
        "dockerfile": (
            ("ENV API_TOKEN=REDACTED-literal",),
            ("RUN --mount=type=secret,id=api_token API_TOKEN=$(cat /run/secrets/api_token) ./configure",),
        ),
        "terraform": (('  password = "REDACTED-literal"',), ("  password = var.{name}_password",)),
        "*": (('    secret = "REDACTED-literal"',), ('    secret = getenv("{NAME}_SECRET")',)),
    },
    "pii_logging": {
        "java": (
            (
                '        log.info("Authorized payment for {} card {}", customer.getEmail(), card.getNumber());',
            ),
            (
                '        log.info("Authorized payment for customer {} card ****{}", customer.getId(), card.last4());',
            ),
        ),
        "python": (
            ('    logger.info("reset requested for %s token=%s", user.email, token)',),
            ('    logger.info("reset requested for user_id=%s", user.id)',),
        ),
        "js": (
            ("  logger.info(`login ${user.email} ${JSON.stringify(req.body)}`);",),
            ("  logger.info('login', { userId: user.id });",),
        ),
        "go": (
            ('\tlog.Printf("signup %s %s", u.Email, u.Phone)',),
            ('\tslog.Info("signup", "user_id", u.ID)',),
        ),
        "*": (('    log("user " + user.email)',), ('    log("user " + user.id)',)),
    },
    "missing_encryption": {
        "java": (
            ('    private static final String FRAUD_URL = "http://fraud-check.internal/api/score";',),
            ('    private static final String FRAUD_URL = "https://fraud-check.internal/api/score";',),
        ),
        "python": (
            ("    {var} = Column(String(11))",),
            ("    {var} = Column(EncryptedString(11, key=settings.FIELD_KEY))",),
        ),
        "js": (
            ("const client = axios.create({ baseURL: 'http://payments.internal' });",),
            ("const client = axios.create({ baseURL: 'https://payments.internal' });",),
        ),
        "go": (
            ('\tresp, err := http.Get("http://" + host + "/api")',),
            ('\tresp, err := httpsClient.Get("https://" + host + "/api")',),
        ),
        "terraform": (
            ('resource "aws_s3_bucket" "{name}" {', '  bucket = "{name}"'),
            (
                'resource "aws_s3_bucket" "{name}" {',
                '  bucket = "{name}"',
                "  server_side_encryption_configuration {",
                "    rule {",
                "      apply_server_side_encryption_by_default {",
                '        sse_algorithm     = "aws:kms"',
                "        kms_master_key_id = var.kms_key_arn",
                "      }",
                "    }",
                "  }",
            ),
        ),
        "config": (("  sslmode: disable",), ("  sslmode: verify-full",)),
        "*": (('    url = "http://" + host',), ('    url = "https://" + host',)),
    },
    "access_logging": {
        "java": (
            ("    public ResponseEntity<Void> {var}(@PathVariable String id) {",),
            (
                "    public ResponseEntity<Void> {var}(@PathVariable String id, Principal who) {",
                '        audit.info("action={var} id={} by={} outcome=requested", id, who.getName());',
            ),
        ),
        "python": (
            ('@app.route("/admin/{var}", methods=["POST"])',),
            ('@app.route("/admin/{var}", methods=["POST"])', '@audited("{var}")'),
        ),
        "js": (
            ("router.post('/{var}', requireAdmin, handler);",),
            ("router.post('/{var}', requireAdmin, audit('{var}'), handler);",),
        ),
        "go": (
            ('\tmux.HandleFunc("/{var}", handler)',),
            ('\tmux.Handle("/{var}", audit.Middleware("{var}", http.HandlerFunc(handler)))',),
        ),
        "terraform": (
            ('resource "aws_s3_bucket" "{name}" {',),
            (
                'resource "aws_s3_bucket" "{name}" {',
                "  logging {",
                "    target_bucket = var.access_log_bucket",
                '    target_prefix = "{name}/"',
                "  }",
            ),
        ),
        "*": (("def {var}(request):",), ('@audit_log("{var}")', "def {var}(request):")),
    },
}
