"""Fix snippets for native-code, robustness and hygiene categories (see engine.simulator.snippets)."""

# ruff: noqa: E501  (a snippet is one line of code: splitting the literal would only obscure it)
from __future__ import annotations

from engine.simulator.snippets import Snippet

MORE_SNIPPETS: dict[str, dict[str, Snippet]] = {
    "memory_safety": {
        "c": (
            ("    strcpy(entry->name, {var});",),
            (
                "    if (strlen({var}) >= sizeof entry->name) {",
                "        return -EINVAL;",
                "    }",
                '    snprintf(entry->name, sizeof entry->name, "%s", {var});',
            ),
        ),
        "rust": (
            ("    let byte = unsafe { *buf.get_unchecked(idx) };",),
            ("    let Some(&byte) = buf.get(idx) else { return Err(Error::OutOfBounds) };",),
        ),
        "*": (
            ("    copy(dst, {var}, len({var}))",),
            ("    copy(dst, {var}, min(len({var}), capacity(dst)))",),
        ),
    },
    "race_condition": {
        "python": (
            (
                "    if account.balance >= amount:",
                "        account.balance -= amount",
                "        account.save()",
            ),
            (
                "    updated = Account.objects.filter(id=account.id, balance__gte=amount).update(",
                '        balance=F("balance") - amount',
                "    )",
                "    if not updated:",
                "        raise InsufficientFunds(account.id)",
            ),
        ),
        "java": (
            ("        if (!cache.containsKey(key)) {", "            cache.put(key, load(key));", "        }"),
            ("        cache.computeIfAbsent(key, this::load);",),
        ),
        "go": (("\tcounts[key]++",), ("\tmu.Lock()", "\tcounts[key]++", "\tmu.Unlock()")),
        "c": (
            ("    if (access(path, F_OK) != 0) {", "        fd = open(path, O_WRONLY | O_CREAT, 0644);"),
            ("    {", "        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);"),
        ),
        "*": (("    if not exists(path): create(path)",), ("    create_exclusive(path)",)),
    },
    "resource_exhaustion": {
        "js": (("app.use(express.json());",), ("app.use(express.json({ limit: '100kb' }));",)),
        "python": (
            ('    limit = int(request.args.get("{var}", 20))',),
            ('    limit = min(int(request.args.get("{var}", 20)), MAX_PAGE_SIZE)',),
        ),
        "java": (
            ("    public Page<Item> list(@RequestParam int {var}) {",),
            ("    public Page<Item> list(@RequestParam @Max(100) int {var}) {",),
        ),
        "go": (
            ("\tbody, err := io.ReadAll(r.Body)",),
            ("\tbody, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))",),
        ),
        "*": (("    items = fetch(limit={var})",), ("    items = fetch(limit=min({var}, MAX_PAGE_SIZE))",)),
    },
    "null_dereference": {
        "java": (
            ("        User user = users.findById({var}).get();",),
            (
                "        User user = users.findById({var}).orElseThrow(() -> new ResponseStatusException(NOT_FOUND));",
            ),
        ),
        "go": (
            ("\tuser, _ := store.User(ctx, {var})", "\tname := user.Name"),
            (
                "\tuser, err := store.User(ctx, {var})",
                "\tif err != nil {",
                '\t\treturn nil, fmt.Errorf("user %s: %w", {var}, err)',
                "\t}",
                "\tname := user.Name",
            ),
        ),
        "c": (
            ("    struct entry *e = lookup(table, {var});", "    e->hits++;"),
            (
                "    struct entry *e = lookup(table, {var});",
                "    if (e == NULL) {",
                "        return -ENOENT;",
                "    }",
                "    e->hits++;",
            ),
        ),
        "python": (
            ("    return users.get({var}).display_name",),
            (
                "    user = users.get({var})",
                "    if user is None:",
                "        raise NotFound({var})",
                "    return user.display_name",
            ),
        ),
        "js": (
            ("  return res.json(users.get(req.params.{var}).profile);",),
            (
                "  const user = users.get(req.params.{var});",
                "  if (!user) return res.status(404).end();",
                "  return res.json(user.profile);",
            ),
        ),
        "*": (
            ("    value = lookup({var}).field",),
            ("    found = lookup({var})", "    value = found.field if found else fail_not_found()"),
        ),
    },
    "integer_overflow": {
        "c": (
            ("    void *buf = malloc(count * size);",),
            (
                "    size_t bytes;",
                "    if (__builtin_mul_overflow(count, size, &bytes) || bytes > MAX_ALLOC) {",
                "        return NULL;",
                "    }",
                "    void *buf = malloc(bytes);",
            ),
        ),
        "java": (
            ("        int total = price * quantity;",),
            ("        int total = Math.multiplyExact(price, quantity);",),
        ),
        "go": (
            ("\tn := int32({var})",),
            (
                "\tif {var} > math.MaxInt32 || {var} < math.MinInt32 {",
                "\t\treturn errTooLarge",
                "\t}",
                "\tn := int32({var})",
            ),
        ),
        "rust": (
            ("    let total = price * quantity;",),
            ("    let total = price.checked_mul(quantity).ok_or(Error::Overflow)?;",),
        ),
        "*": (("    total = price * quantity",), ("    total = checked_multiply(price, quantity)",)),
    },
    "file_upload": {
        "python": (
            ("    upload.save(os.path.join(UPLOAD_DIR, upload.filename))",),
            (
                "    kind = filetype.guess(upload.stream.read(261))",
                "    upload.stream.seek(0)",
                "    if kind is None or kind.mime not in ALLOWED_TYPES:",
                "        abort(415)",
                '    upload.save(PRIVATE_UPLOAD_DIR / f"{uuid4().hex}.{kind.extension}")',
            ),
        ),
        "js": (
            ("const upload = multer({ dest: 'public/uploads' });",),
            (
                "const upload = multer({",
                "  storage: privateStorage,",
                "  limits: { fileSize: 5 * 1024 * 1024 },",
                "  fileFilter: allowImagesOnly,",
                "});",
            ),
        ),
        "java": (
            ("        file.transferTo(new File(uploadDir, file.getOriginalFilename()));",),
            (
                "        String type = tika.detect(file.getInputStream());",
                "        if (!ALLOWED_TYPES.contains(type)) {",
                "            throw new ResponseStatusException(HttpStatus.UNSUPPORTED_MEDIA_TYPE);",
                "        }",
                "        file.transferTo(privateDir.resolve(UUID.randomUUID() + extensionFor(type)));",
            ),
        ),
        "php": (
            ("    move_uploaded_file($_FILES['f']['tmp_name'], 'uploads/' . $_FILES['f']['name']);",),
            (
                "    $type = (new finfo(FILEINFO_MIME_TYPE))->file($_FILES['f']['tmp_name']);",
                "    if (!in_array($type, ALLOWED_TYPES, true)) { http_response_code(415); exit; }",
                "    move_uploaded_file($_FILES['f']['tmp_name'], PRIVATE_DIR . bin2hex(random_bytes(16)));",
            ),
        ),
        "*": (("    save(upload, upload.name)",), ("    save(checked_upload(upload), generated_name())",)),
    },
    "csv_injection": {
        "python": (
            ("        writer.writerow([order.id, order.customer_name, order.note])",),
            ("        writer.writerow([order.id, neutralise(order.customer_name), neutralise(order.note)])",),
        ),
        "java": (
            ("            printer.printRecord(row.id(), row.name(), row.comment());",),
            (
                "            printer.printRecord(row.id(), Cells.text(row.name()), Cells.text(row.comment()));",
            ),
        ),
        "js": (
            ("  const csv = stringify(rows);",),
            ("  const csv = stringify(rows, { cast: { string: neutraliseFormula } });",),
        ),
        "*": (("    write_row([row.id, row.name])",), ("    write_row([row.id, neutralise(row.name)])",)),
    },
    "information_exposure": {
        "js": (("const app = express();",), ("const app = express();", "app.disable('x-powered-by');")),
        "python": (
            ("    return str(exc), 500",),
            (
                '    log.exception("request failed", extra={"request_id": g.request_id})',
                '    return {"error": "internal error", "id": g.request_id}, 500',
            ),
        ),
        "java": (
            ("server.error.include-stacktrace=always",),
            ("server.error.include-stacktrace=never", "server.error.include-message=never"),
        ),
        "config": (("  debug: true",), ("  debug: false",)),
        "*": (
            ("    respond(500, str(error))",),
            ("    log_error(error)", '    respond(500, "internal error")'),
        ),
    },
    "missing_integrity_check": {
        "template": (
            (
                '    <script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.bundle.min.js"></script>',
            ),
            (
                '    <script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.3/dist/js/bootstrap.bundle.min.js"',
                '            integrity="sha384-YvpcrYf0tY3lHB60NNkmXc5s9fDVZLESaAA55NDzOxhy9GkcIdslK1eN7N6jIeHz"',
                '            crossorigin="anonymous"></script>',
            ),
        ),
        "dockerfile": (
            ("ADD https://releases.example.com/tool-1.4.2-linux-amd64 /usr/local/bin/tool",),
            (
                "ADD --checksum=sha256:3f9c2f1b6d3c7e0a9b1d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b \\",
                "    https://releases.example.com/tool-1.4.2-linux-amd64 /usr/local/bin/tool",
            ),
        ),
        "python": (
            ("    payload = json.loads(request.data)",),
            (
                '    if not hmac.compare_digest(sign(request.data), request.headers.get("X-Signature", "")):',
                "        abort(401)",
                "    payload = json.loads(request.data)",
            ),
        ),
        "js": (
            ("  const payload = JSON.parse(req.body);",),
            (
                "  if (!verifySignature(req.body, req.get('x-signature'))) return res.status(401).end();",
                "  const payload = JSON.parse(req.body);",
            ),
        ),
        "*": (("    data = download(url)",), ("    data = download(url, expected_sha256=PINNED_SHA256)",)),
    },
    "error_handling": {
        "python": (
            ("    except Exception:", "        pass"),
            (
                "    except (ValueError, KeyError) as exc:",
                '        log.warning("invalid {var}: %s", exc)',
                '        raise BadRequest("invalid {var}") from exc',
            ),
        ),
        "java": (
            ("        } catch (Exception e) {", "        }"),
            (
                "        } catch (IOException e) {",
                '            throw new UncheckedIOException("reading {var}", e);',
                "        }",
            ),
        ),
        "js": (
            ("  } catch (e) {}",),
            (
                "  } catch (err) {",
                "    logger.error('reading {var} failed', { err });",
                "    throw err;",
                "  }",
            ),
        ),
        "go": (
            ("\t_ = f.Close()",),
            ("\tif err := f.Close(); err != nil {", '\t\treturn fmt.Errorf("closing {var}: %w", err)', "\t}"),
        ),
        "*": (("    except: pass",), ("    except ValueError as exc: report(exc)",)),
    },
    "code_quality": {
        "python": (("    result = compute_{var}(order)",), ("    compute_{var}(order)",)),
        "js": (
            ("  const unused = {var}(input);", "  if (status == 'ok') {"),
            ("  {var}(input);", "  if (status === 'ok') {"),
        ),
        "java": (("        String unused = {var}.trim();",), ()),
        "go": (("\tresult := compute{Name}(v)", "\t_ = result"), ("\tcompute{Name}(v)",)),
        "c": (("    if (flags & FLAG_READY == 0) {",), ("    if ((flags & FLAG_READY) == 0) {",)),
        "*": (("    unused = {var}",), ()),
    },
    "other": {
        "java": (
            ("        return service.handle({var});",),
            ("        return service.handle(Validation.require{Name}({var}));",),
        ),
        "python": (("    return handle({var})",), ("    return handle(validated_{var}({var}))",)),
        "js": (("  return handle(req.body.{var});",), ("  return handle(validate{Name}(req.body.{var}));",)),
        "*": (("    handle({var})",), ("    handle(validated({var}))",)),
    },
}
