"""Fix snippets for the categories added for the CWE Top 25 (see engine.simulator.snippets)."""

# ruff: noqa: E501  (a snippet is one line of code: splitting the literal would only obscure it)
from __future__ import annotations

from engine.simulator.snippets import Snippet

TOP25_SNIPPETS: dict[str, dict[str, Snippet]] = {
    "command_injection": {
        "java": (
            ('        Process p = Runtime.getRuntime().exec("sh -c convert " + {var} + " out.png");',),
            ('        Process p = new ProcessBuilder(List.of("convert", "--", {var}, "out.png")).start();',),
        ),
        "python": (
            ('    subprocess.run(f"convert {{var}} out.png", shell=True, check=True)',),
            ('    subprocess.run(["convert", "--", {var}, "out.png"], check=True, timeout=30)',),
        ),
        "js": (
            ("  exec(`convert ${{var}} out.png`, callback);",),
            ("  execFile('convert', ['--', {var}, 'out.png'], callback);",),
        ),
        "go": (
            ('\tcmd := exec.Command("sh", "-c", "convert "+{var}+" out.png")',),
            ('\tcmd := exec.CommandContext(ctx, "convert", "--", {var}, "out.png")',),
        ),
        "php": (
            ("    shell_exec('convert ' . ${var} . ' out.png');",),
            ("    $proc = proc_open(['convert', '--', ${var}, 'out.png'], $spec, $pipes);",),
        ),
        "ruby": (
            ('    system("convert #{{var}} out.png")',),
            ('    system("convert", "--", {var}, "out.png")',),
        ),
        "c": (
            ('    snprintf(cmd, sizeof cmd, "convert %s out.png", {var});', "    system(cmd);"),
            ('    char *argv[] = {"convert", "--", {var}, "out.png", NULL};', "    run_program(argv);"),
        ),
        "*": (('    run_shell("convert " + {var})',), ('    run_program(["convert", "--", {var}])',)),
    },
    "code_injection": {
        "python": (("    result = eval({var})",), ("    result = ast.literal_eval({var})",)),
        "js": (
            ("  const result = eval(req.body.{var});",),
            ("  const result = HANDLERS.get(String(req.body.{var}))?.();",),
        ),
        "java": (
            ('        Object result = new ScriptEngineManager().getEngineByName("js").eval({var});',),
            ("        Object result = Operation.valueOf({var}.toUpperCase(Locale.ROOT)).apply(input);",),
        ),
        "php": (
            ("    $result = eval('return ' . ${var} . ';');",),
            ("    $result = json_decode(${var}, true, 8, JSON_THROW_ON_ERROR);",),
        ),
        "ruby": (("    result = eval(params[:{var}])",), ("    result = JSON.parse(params[:{var}])",)),
        "template": (("    {{ {var}|safe }}",), ("    {{ {var} }}",)),
        "*": (("    result = evaluate({var})",), ("    result = parse_data({var})",)),
    },
    "injection": {
        "java": (
            ('        String filter = "(uid=" + {var} + ")";',),
            ('        Filter filter = Filter.createEqualityFilter("uid", {var});',),
        ),
        "python": (
            ('    conn.search(BASE_DN, f"(uid={{var}})")',),
            ('    conn.search(BASE_DN, f"(uid={escape_filter_chars({var})})")',),
        ),
        "js": (
            ("  client.search(baseDn, { filter: `(uid=${{var}})` }, cb);",),
            (
                "  client.search(baseDn, { filter: new EqualityFilter({ attribute: 'uid', value: {var} }) }, cb);",
            ),
        ),
        "*": (('    query = "(uid=" + {var} + ")"',), ('    query = equality_filter("uid", {var})',)),
    },
    "ssrf": {
        "java": (
            ("        String body = restTemplate.getForObject({var}, String.class);",),
            (
                "        URI target = outbound.requireAllowed(URI.create({var}));",
                "        String body = restTemplate.getForObject(target, String.class);",
            ),
        ),
        "python": (
            ("    response = requests.get({var}, timeout=10)",),
            (
                "    target = require_allowed_url({var})  # https, allow-listed host, public address",
                "    response = requests.get(target, timeout=5, allow_redirects=False)",
            ),
        ),
        "js": (
            ("  const response = await fetch(req.query.{var});",),
            (
                "  const target = requireAllowedUrl(String(req.query.{var}));",
                "  const response = await fetch(target, { redirect: 'manual' });",
            ),
        ),
        "go": (
            ("\tresp, err := http.Get({var})",),
            ("\tresp, err := safeClient.Get(requireAllowed({var}))",),
        ),
        "*": (("    fetch({var})",), ("    fetch(require_allowed_url({var}))",)),
    },
    "xxe": {
        "java": (
            ("        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();",),
            (
                "        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();",
                '        dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);',
                "        dbf.setXIncludeAware(false);",
                "        dbf.setExpandEntityReferences(false);",
            ),
        ),
        "python": (("from xml.etree import ElementTree",), ("from defusedxml import ElementTree",)),
        "csharp": (
            ("        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Parse };",),
            (
                "        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };",
            ),
        ),
        "php": (
            ("    $doc->loadXML(${var}, LIBXML_NOENT | LIBXML_DTDLOAD);",),
            ("    $doc->loadXML(${var}, LIBXML_NONET);",),
        ),
        "js": (
            ("  const doc = libxmljs.parseXml({var}, { noent: true });",),
            ("  const doc = libxmljs.parseXml({var}, { noent: false, nonet: true });",),
        ),
        "*": (
            ("    doc = parse_xml({var})",),
            ("    doc = parse_xml({var}, dtd=False, external_entities=False)",),
        ),
    },
    "insecure_deserialization": {
        "java": (
            ("        Object value = new ObjectInputStream(request.getInputStream()).readObject();",),
            (
                "        {Name}Request value = objectMapper.readValue(request.getInputStream(), {Name}Request.class);",
            ),
        ),
        "python": (
            ("    data = pickle.loads(base64.b64decode({var}))",),
            ("    data = {Name}Payload.model_validate_json(base64.b64decode({var}))",),
        ),
        "csharp": (
            ("        var value = new BinaryFormatter().Deserialize(stream);",),
            ("        var value = JsonSerializer.Deserialize<{Name}Request>(stream);",),
        ),
        "js": (
            ("  const value = serialize.unserialize(req.cookies.{var});",),
            ("  const value = {Name}Schema.parse(JSON.parse(req.cookies.{var}));",),
        ),
        "php": (
            ("    $value = unserialize($_COOKIE['{var}']);",),
            ("    $value = json_decode($_COOKIE['{var}'], true, 16, JSON_THROW_ON_ERROR);",),
        ),
        "ruby": (
            ("    value = Marshal.load(Base64.decode64(cookies[:{var}]))",),
            ("    value = JSON.parse(Base64.decode64(cookies[:{var}]))",),
        ),
        "*": (("    value = native_deserialize({var})",), ("    value = parse_json({var})",)),
    },
    "weak_cryptography": {
        "java": (
            ("    private static final Random RANDOM = new Random();",),
            ("    private static final SecureRandom RANDOM = new SecureRandom();",),
        ),
        "python": (
            ("    token = ''.join(random.choice(ALPHABET) for _ in range(16))",),
            ("    token = secrets.token_urlsafe(32)",),
        ),
        "js": (
            ("  const id = Math.random().toString(36).slice(2);",),
            ("  const id = crypto.randomUUID();",),
        ),
        "go": (('\timport "math/rand"',), ('\timport "crypto/rand"',)),
        "csharp": (
            ("        var digest = MD5.Create().ComputeHash(bytes);",),
            ("        var digest = SHA256.HashData(bytes);",),
        ),
        "c": (
            ("    MD5(data, len, digest);",),
            ("    EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL);",),
        ),
        "*": (("    digest = md5({var})",), ("    digest = sha256({var})",)),
    },
    "open_redirect": {
        "java": (
            ('        response.sendRedirect(request.getParameter("{var}"));',),
            ('        response.sendRedirect(redirects.sameSiteOrHome(request.getParameter("{var}")));',),
        ),
        "python": (
            ('    return redirect(request.args.get("{var}", "/"))',),
            (
                '    target = request.args.get("{var}", "/")',
                "    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.host}, require_https=True):",
                '        target = "/"',
                "    return redirect(target)",
            ),
        ),
        "js": (
            ("  res.redirect(req.query.{var});",),
            ("  res.redirect(sameOriginOrHome(String(req.query.{var} ?? '/')));",),
        ),
        "go": (
            ('\thttp.Redirect(w, r, r.URL.Query().Get("{var}"), http.StatusFound)',),
            ('\thttp.Redirect(w, r, localPathOrHome(r.URL.Query().Get("{var}")), http.StatusFound)',),
        ),
        "*": (("    redirect({var})",), ("    redirect(local_path_or_home({var}))",)),
    },
    "csrf": {
        "python": (("@csrf_exempt",), ()),
        "java": (
            ("            .csrf(csrf -> csrf.disable())",),
            (
                "            .csrf(csrf -> csrf.csrfTokenRepository(CookieCsrfTokenRepository.withHttpOnlyFalse()))",
            ),
        ),
        "js": (
            ("app.use(cors({ origin: true, credentials: true }));",),
            (
                "app.use(cors({ origin: ['https://app.example.com'], credentials: true }));",
                "app.use(doubleCsrfProtection);",
            ),
        ),
        "*": (("    csrf_protection = False",), ("    csrf_protection = True",)),
    },
    "input_validation": {
        "python": (
            ('    quantity = int(request.json["{var}"])',),
            ("    quantity = OrderLine.model_validate(request.json).{var}  # 1..100, extra keys refused",),
        ),
        "java": (
            ("    public ResponseEntity<?> update(@RequestBody {Name} body) {",),
            ("    public ResponseEntity<?> update(@Valid @RequestBody {Name}Request body) {",),
        ),
        "js": (
            ("  Object.assign(order, req.body);",),
            ("  Object.assign(order, OrderUpdate.strict().parse(req.body));",),
        ),
        "go": (
            ('\tqty, _ := strconv.Atoi(r.FormValue("{var}"))',),
            (
                '\tqty, err := strconv.Atoi(r.FormValue("{var}"))',
                "\tif err != nil || qty < 1 || qty > 100 {",
                '\t\thttp.Error(w, "{var} must be 1-100", http.StatusBadRequest)',
                "\t\treturn",
                "\t}",
            ),
        ),
        "*": (('    value = request["{var}"]',), ('    value = validate_{var}(request["{var}"])',)),
    },
    "broken_authentication": {
        "python": (('@app.route("/api/{var}")',), ('@app.route("/api/{var}")', "@login_required")),
        "java": (
            ('                .requestMatchers("/api/{var}/**").permitAll()',),
            ('                .requestMatchers("/api/{var}/**").authenticated()',),
        ),
        "js": (("router.get('/{var}', handler);",), ("router.get('/{var}', requireAuth, handler);",)),
        "*": (('    user = request.headers["X-User-Id"]',), ("    user = verified_session_user(request)",)),
    },
    "missing_authorization": {
        "python": (
            ("    order = Order.objects.get(id={var})",),
            ("    order = get_object_or_404(Order, id={var}, account=request.user.account)",),
        ),
        "java": (
            ("        Order order = orders.findById({var}).orElseThrow();",),
            (
                "        Order order = orders.findByIdAndAccountId({var}, principal.accountId()).orElseThrow(NotFound::new);",
            ),
        ),
        "js": (
            ("  const order = await Order.findById(req.params.{var});",),
            (
                "  const order = await Order.findOne({ _id: req.params.{var}, accountId: req.user.accountId });",
            ),
        ),
        "go": (
            ("\torder, err := store.Order(ctx, {var})",),
            ("\torder, err := store.OrderForAccount(ctx, {var}, auth.AccountID(ctx))",),
        ),
        "dockerfile": (
            ('CMD ["python", "-m", "app"]',),
            ("RUN useradd --system --uid 10001 app", "USER app", 'CMD ["python", "-m", "app"]'),
        ),
        "config": (
            ("    image: app:latest",),
            (
                "    image: app:latest",
                "    read_only: true",
                "    security_opt:",
                "      - no-new-privileges:true",
            ),
        ),
        "*": (("    item = load({var})",), ("    item = load_owned_by(current_user, {var})",)),
    },
}
