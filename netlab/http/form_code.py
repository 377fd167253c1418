"""The HTTP form's request as runnable programs: Python with requests, Python with urllib, and curl.

Each is built from the same HttpFormConfig the tab sends, and each prints the same thing: any
redirects followed, the status line, the headers, an empty line, then the body as text.
"""

from __future__ import annotations

import json
import shlex

from netlab.http.form import has_header, header_dict
from netlab.http.form_config import AuthKind, BodyKind, HttpFormConfig

_PRINT_RESPONSE = [
    "for name, value in response.headers.items():",
    '    print(f"{name}: {value}")',
    "print()",
]


def requests_program(config: HttpFormConfig) -> str:
    lines = [
        '"""Send one HTTP request with requests and print the response (made by NetLab)."""',
        "",
        "import requests",
    ]
    if config.retries:
        lines += ["from requests.adapters import HTTPAdapter", "from urllib3.util.retry import Retry"]
    if config.auth == AuthKind.DIGEST:
        lines.append("from requests.auth import HTTPDigestAuth")
    lines += [
        "",
        "session = requests.Session()  # keeps cookies and connections between requests",
        "session.trust_env = False  # use only the proxy and CA given below, not $HTTP_PROXY",
    ]
    if config.retries:
        lines += [
            f"retry = Retry(total={config.retries}, backoff_factor={config.backoff!r}, "
            "status_forcelist=(500, 502, 503, 504), allowed_methods=None, raise_on_status=False)",
            'session.mount("http://", HTTPAdapter(max_retries=retry))',
            'session.mount("https://", HTTPAdapter(max_retries=retry))',
        ]
    headers = header_dict(config.headers)
    if config.auth == AuthKind.BEARER:
        headers["Authorization"] = f"Bearer {config.token}"
    arguments = [f"    {config.method!r},", f"    {config.url!r},"]
    if headers:
        arguments.append(f"    headers={headers!r},")
    fields = [(f.name, f.value) for f in config.fields if f.name]
    if config.body_kind == BodyKind.RAW:
        arguments.append(f"    data={config.body!r}.encode('utf-8'),")
    elif config.body_kind == BodyKind.JSON:
        arguments.append(f"    json={json.loads(config.body)!r},  # requests turns it into JSON text")
    elif config.body_kind == BodyKind.FORM:
        arguments.append(f"    data={fields!r},  # sent as application/x-www-form-urlencoded")
    elif config.body_kind == BodyKind.MULTIPART:
        arguments.append(f"    data={fields!r},")
        files = ", ".join(
            f"({u.field!r}, ({u.path.rsplit('/', 1)[-1]!r}, open({u.path!r}, 'rb'), {u.content_type!r}))"
            for u in config.files
        )
        arguments.append(f"    files=[{files}],  # sent as multipart/form-data")
    if config.auth == AuthKind.BASIC:
        arguments.append(f"    auth=({config.user!r}, {config.password!r}),")
    elif config.auth == AuthKind.DIGEST:
        arguments.append(f"    auth=HTTPDigestAuth({config.user!r}, {config.password!r}),")
    arguments.append(f"    timeout={config.timeout:g},")
    arguments.append(f"    allow_redirects={config.follow_redirects},")
    if not config.verify:
        arguments.append("    verify=False,  # 'Verify TLS' is off: any certificate is accepted")
    elif config.ca_file:
        arguments.append(f"    verify={config.ca_file!r},  # trust this CA")
    if config.proxy:
        arguments.append(f"    proxies={{'http': {config.proxy!r}, 'https': {config.proxy!r}}},")
    lines += [
        "",
        "response = session.request(",
        *arguments,
        ")",
        "for earlier in response.history:",
        "    if earlier.is_redirect:",
        "        print('redirect:', earlier.status_code, earlier.url, '->', earlier.headers['Location'])",
        "print(response.status_code, response.reason)",
        *_PRINT_RESPONSE,
        "print(response.text)",
        "",
    ]
    return "\n".join(lines)


def urllib_program(config: HttpFormConfig) -> str:
    https = config.url.lower().startswith("https:")
    gzip = has_header(config.headers, "Accept-Encoding")
    imports = ["urllib.error", "urllib.request"]
    if config.body_kind in (BodyKind.JSON,):
        imports.append("json")
    if config.body_kind == BodyKind.FORM:
        imports.append("urllib.parse")
    if https:
        imports.append("ssl")
    if config.retries:
        imports.append("time")
    if gzip:
        imports += ["gzip", "zlib"]
    lines = [
        '"""Send one HTTP request with urllib.request and print the response (made by NetLab)."""',
        "",
        *(f"import {name}" for name in sorted(imports)),
    ]
    if config.body_kind == BodyKind.MULTIPART:
        lines.append("from urllib3 import encode_multipart_formdata  # the standard library has none")
    lines += ["", f"URL = {config.url!r}", ""]
    proxies = {"http": config.proxy, "https": config.proxy} if config.proxy else {}
    lines.append(f"handlers = [urllib.request.ProxyHandler({proxies!r})]  # only this proxy, not $HTTP_PROXY")
    if https:
        if not config.verify:
            lines += [
                "context = ssl.create_default_context()",
                "context.check_hostname = False  # 'Verify TLS' is off: any certificate is accepted",
                "context.verify_mode = ssl.CERT_NONE",
            ]
        elif config.ca_file:
            lines.append(f"context = ssl.create_default_context(cafile={config.ca_file!r})  # trust this CA")
        else:
            lines.append("context = ssl.create_default_context()  # checks the certificate and the name")
        lines.append("handlers.append(urllib.request.HTTPSHandler(context=context))")
    lines.append("handlers.append(urllib.request.HTTPCookieProcessor())  # keeps cookies across redirects")
    if config.auth in (AuthKind.BASIC, AuthKind.DIGEST):
        handler = "HTTPBasicAuthHandler" if config.auth == AuthKind.BASIC else "HTTPDigestAuthHandler"
        lines += [
            "passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()",
            f"passwords.add_password(None, URL, {config.user!r}, {config.password!r})",
            f"handlers.append(urllib.request.{handler}(passwords))  # answers the server's 401 challenge",
        ]
    lines += [
        "",
        "",
        "class Redirects(urllib.request.HTTPRedirectHandler):",
        "    def redirect_request(self, req, fp, code, msg, headers, newurl):",
    ]
    if config.follow_redirects:
        lines += [
            "        print('redirect:', code, req.full_url, '->', newurl)",
            "        return super().redirect_request(req, fp, code, msg, headers, newurl)",
        ]
    else:
        lines.append("        return None  # 'Follow redirects' is off: the 3xx is the answer")
    lines += [
        "",
        "",
        "handlers.append(Redirects())",
        "opener = urllib.request.build_opener(*handlers)",
        "",
    ]
    headers = header_dict(config.headers)
    fields = [(f.name, f.value) for f in config.fields if f.name]
    content_type = ""
    if config.body_kind == BodyKind.RAW:
        lines.append(f"data = {config.body!r}.encode('utf-8')")
    elif config.body_kind == BodyKind.JSON:
        lines.append(f"data = json.dumps({json.loads(config.body)!r}).encode('utf-8')")
        content_type = "application/json"
    elif config.body_kind == BodyKind.FORM:
        lines.append(f"data = urllib.parse.urlencode({fields!r}).encode('ascii')")
        content_type = "application/x-www-form-urlencoded"
    elif config.body_kind == BodyKind.MULTIPART:
        lines.append(f"parts = {fields!r}")
        for upload in config.files:
            name = upload.path.rsplit("/", 1)[-1]
            lines += [
                f"with open({upload.path!r}, 'rb') as file:",
                f"    parts.append(({upload.field!r}, ({name!r}, file.read(), {upload.content_type!r})))",
            ]
        lines.append("data, content_type = encode_multipart_formdata(parts)")
    else:
        lines.append("data = None")
    if config.auth == AuthKind.BEARER:
        headers["Authorization"] = f"Bearer {config.token}"
    lines.append(f"headers = {headers!r}")
    if config.body_kind == BodyKind.MULTIPART and not has_header(config.headers, "Content-Type"):
        lines.append("headers['Content-Type'] = content_type")
    elif content_type and not has_header(config.headers, "Content-Type"):
        lines.append(f"headers['Content-Type'] = {content_type!r}")
    lines.append(
        f"request = urllib.request.Request(URL, data=data, headers=headers, method={config.method!r})"
    )
    lines.append("")
    if config.retries:
        lines += [
            f"for attempt in range({config.retries + 1}):",
            "    try:",
            f"        response = opener.open(request, timeout={config.timeout:g})",
            "    except urllib.error.HTTPError as error:",
            "        response = error  # a 4xx or 5xx (or an unfollowed redirect) is still a response",
            "    except urllib.error.URLError:",
            f"        if attempt == {config.retries}:",
            "            raise",
            f"        time.sleep({config.backoff!r} * 2**attempt)",
            "        continue",
            f"    if response.status not in (500, 502, 503, 504) or attempt == {config.retries}:",
            "        break",
            "    response.close()",
            f"    time.sleep({config.backoff!r} * 2**attempt)",
        ]
    else:
        lines += [
            "try:",
            f"    response = opener.open(request, timeout={config.timeout:g})",
            "except urllib.error.HTTPError as error:",
            "    response = error  # a 4xx or 5xx (or an unfollowed redirect) is still a response",
        ]
    lines += ["with response:", "    body = response.read()"]
    if gzip:
        lines += [
            "encoding = response.headers.get('Content-Encoding', '').lower()",
            "if encoding == 'gzip':  # urllib leaves a compressed body as it came",
            "    body = gzip.decompress(body)",
            "elif encoding == 'deflate':",
            "    try:",
            "        body = zlib.decompress(body)",
            "    except zlib.error:  # raw deflate, without the zlib header",
            "        body = zlib.decompress(body, -zlib.MAX_WBITS)",
        ]
    lines += [
        "print(response.status, response.reason)",
        *_PRINT_RESPONSE,
        "print(body.decode('utf-8', errors='replace'))",
        "",
    ]
    return "\n".join(lines)


def curl_command(config: HttpFormConfig) -> str:
    """One curl command line; -i prints the status line and headers before the body."""
    words = ["curl", "--silent", "--show-error", "--include"]
    if config.method == "HEAD":
        words.append("--head")  # -X HEAD would wait for a body that never comes
    elif config.method != "GET" or config.body_kind != BodyKind.NONE:
        words += ["--request", config.method]
    headers = header_dict(config.headers)
    if config.auth == AuthKind.BEARER:
        headers["Authorization"] = f"Bearer {config.token}"
    if config.body_kind == BodyKind.JSON and not has_header(config.headers, "Content-Type"):
        headers["Content-Type"] = "application/json"
    for name, value in headers.items():
        words += ["--header", f"{name}: {value}"]
    if has_header(config.headers, "Accept-Encoding"):
        words.append("--compressed")
    fields = [(f.name, f.value) for f in config.fields if f.name]
    if config.body_kind == BodyKind.RAW:
        words += ["--data-binary", config.body]
    elif config.body_kind == BodyKind.JSON:
        words += ["--data-binary", json.dumps(json.loads(config.body))]
    elif config.body_kind == BodyKind.FORM:
        for name, value in fields:
            words += ["--data-urlencode", f"{name}={value}"]
    elif config.body_kind == BodyKind.MULTIPART:
        for name, value in fields:
            words += ["--form-string", f"{name}={value}"]
        for upload in config.files:
            words += ["--form", f"{upload.field}=@{upload.path};type={upload.content_type}"]
    if config.auth in (AuthKind.BASIC, AuthKind.DIGEST):
        if config.auth == AuthKind.DIGEST:
            words.append("--digest")
        words += ["--user", f"{config.user}:{config.password}"]
    words += ["--max-time", f"{config.timeout:g}"]
    if config.follow_redirects:
        words.append("--location")
    if not config.verify:
        words.append("--insecure")
    elif config.ca_file:
        words += ["--cacert", config.ca_file]
    words += ["--proxy", config.proxy] if config.proxy else ["--noproxy", "*"]
    if config.retries:
        words += ["--retry", str(config.retries)]
    words.append(config.url)
    return " ".join(shlex.quote(word) for word in words) + "\n"
