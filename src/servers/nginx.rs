//! nginx: the directives that name TLS files, read the way nginx reads its config.
//!
//! Tokens are words, `'...'`/`"..."` strings, `;`, `{`, `}`; `#` starts a comment at the start
//! of a token. `include` (with glob patterns) is expanded in place, relative to the directory
//! of the main config file (nginx's conf prefix), as are relative file names in `ssl_*`
//! directives. `server {}` blocks inherit `ssl_*` directives from the enclosing `http {}` /
//! `stream {}` block unless they set them themselves.

use std::path::{Path, PathBuf};

use super::{config_dir, read_text, resolve_path, ConfigError, Role, ServerConfig, ServerKind};

/// Directives that name files, and what the file is for.
pub const FILE_DIRECTIVES: &[(&str, Role)] = &[
    ("ssl_certificate", Role::Certificate),
    ("ssl_certificate_key", Role::PrivateKey),
    ("ssl_client_certificate", Role::ClientCa),
    ("ssl_trusted_certificate", Role::TrustedCa),
    ("ssl_crl", Role::Crl),
    ("ssl_dhparam", Role::DhParams),
];

/// Other directives whose value matters to the checks.
const FLAG_DIRECTIVES: &[&str] = &["ssl_verify_client"];

/// Nesting of includes beyond this is taken for a loop.
const MAX_INCLUDE_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Word(String),
    Semi,
    Open,
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
    pub column: usize,
}

/// Split nginx config text into tokens.
pub fn tokenize(text: &str, file: &Path) -> Result<Vec<Token>, ConfigError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = vec![];
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    // Advance one char, keeping line/column.
    macro_rules! bump {
        () => {{
            if chars[i] == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
            i += 1;
        }};
    }
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            bump!();
            continue;
        }
        let (tl, tc) = (line, col);
        match c {
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    bump!();
                }
            }
            ';' | '{' | '}' => {
                out.push(Token {
                    tok: match c {
                        ';' => Tok::Semi,
                        '{' => Tok::Open,
                        _ => Tok::Close,
                    },
                    line: tl,
                    column: tc,
                });
                bump!();
            }
            '"' | '\'' => {
                let quote = c;
                bump!();
                let mut s = String::new();
                loop {
                    if i >= chars.len() {
                        return Err(ConfigError::new(
                            file,
                            tl,
                            tc,
                            format!("unterminated {quote}quoted{quote} string"),
                        ));
                    }
                    let d = chars[i];
                    if d == quote {
                        bump!();
                        break;
                    }
                    if d == '\\' && i + 1 < chars.len() {
                        let e = chars[i + 1];
                        bump!();
                        match e {
                            '"' | '\'' | '\\' => s.push(e),
                            't' => s.push('\t'),
                            'r' => s.push('\r'),
                            'n' => s.push('\n'),
                            other => {
                                s.push('\\');
                                s.push(other);
                            }
                        }
                        bump!();
                        continue;
                    }
                    s.push(d);
                    bump!();
                }
                // A quoted string must be followed by a separator.
                if i < chars.len() && !(chars[i].is_whitespace() || ";{}".contains(chars[i])) {
                    return Err(ConfigError::new(
                        file,
                        line,
                        col,
                        format!("unexpected \"{}\" after a quoted string", chars[i]),
                    ));
                }
                out.push(Token {
                    tok: Tok::Word(s),
                    line: tl,
                    column: tc,
                });
            }
            _ => {
                let mut s = String::new();
                while i < chars.len() {
                    let d = chars[i];
                    if d.is_whitespace() || d == ';' || d == '}' {
                        break;
                    }
                    if d == '{' {
                        // `${var}` is part of a word; any other `{` opens a block.
                        if s.ends_with('$') {
                            while i < chars.len() && chars[i] != '}' {
                                s.push(chars[i]);
                                bump!();
                            }
                            if i < chars.len() {
                                s.push('}');
                                bump!();
                            }
                            continue;
                        }
                        break;
                    }
                    if d == '\\' && i + 1 < chars.len() {
                        s.push(d);
                        bump!();
                    }
                    s.push(chars[i]);
                    bump!();
                }
                out.push(Token {
                    tok: Tok::Word(s),
                    line: tl,
                    column: tc,
                });
            }
        }
    }
    Ok(out)
}

/// One directive with its arguments and, for `name args { ... }`, its block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    pub block: Option<Vec<Directive>>,
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

struct Parser<'a> {
    /// Directory relative includes and file names resolve against.
    prefix: &'a Path,
    depth: usize,
    /// Files being included right now (loop detection).
    stack: Vec<PathBuf>,
}

impl Parser<'_> {
    fn parse_file(&mut self, file: &Path) -> Result<Vec<Directive>, ConfigError> {
        let text = read_text(file)?;
        let toks = tokenize(&text, file)?;
        let mut pos = 0;
        let out = self.parse_block(&toks, &mut pos, file, None)?;
        Ok(out)
    }

    /// Parse directives until the end of input (top level) or the `}` closing `open`.
    fn parse_block(
        &mut self,
        toks: &[Token],
        pos: &mut usize,
        file: &Path,
        open: Option<&Token>,
    ) -> Result<Vec<Directive>, ConfigError> {
        let mut out = vec![];
        loop {
            let Some(t) = toks.get(*pos) else {
                return match open {
                    Some(o) => Err(ConfigError::new(
                        file,
                        o.line,
                        o.column,
                        "\"{\" is never closed (unexpected end of file)",
                    )),
                    None => Ok(out),
                };
            };
            match &t.tok {
                Tok::Close => {
                    *pos += 1;
                    return match open {
                        Some(_) => Ok(out),
                        None => Err(ConfigError::new(file, t.line, t.column, "unexpected \"}\"")),
                    };
                }
                Tok::Semi => {
                    return Err(ConfigError::new(file, t.line, t.column, "unexpected \";\""))
                }
                Tok::Open => {
                    return Err(ConfigError::new(
                        file,
                        t.line,
                        t.column,
                        "unexpected \"{\" (a block needs a directive name)",
                    ))
                }
                Tok::Word(name) => {
                    *pos += 1;
                    let mut args = vec![];
                    let block;
                    loop {
                        let Some(a) = toks.get(*pos) else {
                            return Err(ConfigError::new(
                                file,
                                t.line,
                                t.column,
                                format!("directive \"{name}\" is not terminated by \";\""),
                            ));
                        };
                        *pos += 1;
                        match &a.tok {
                            Tok::Word(w) => args.push(w.clone()),
                            Tok::Semi => {
                                block = None;
                                break;
                            }
                            Tok::Open => {
                                block = Some(self.parse_block(toks, pos, file, Some(a))?);
                                break;
                            }
                            Tok::Close => {
                                return Err(ConfigError::new(
                                    file,
                                    a.line,
                                    a.column,
                                    format!(
                                        "unexpected \"}}\": directive \"{name}\" is not terminated by \";\""
                                    ),
                                ))
                            }
                        }
                    }
                    if name == "include" && block.is_none() {
                        if args.len() != 1 {
                            return Err(ConfigError::new(
                                file,
                                t.line,
                                t.column,
                                "\"include\" takes exactly one file name or pattern",
                            ));
                        }
                        out.extend(self.include(&args[0], file, t)?);
                        continue;
                    }
                    out.push(Directive {
                        name: name.clone(),
                        args,
                        block,
                        file: file.to_path_buf(),
                        line: t.line,
                        column: t.column,
                    });
                }
            }
        }
    }

    fn include(
        &mut self,
        pattern: &str,
        file: &Path,
        t: &Token,
    ) -> Result<Vec<Directive>, ConfigError> {
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(ConfigError::new(
                file,
                t.line,
                t.column,
                format!("includes nested deeper than {MAX_INCLUDE_DEPTH} (an include loop?)"),
            ));
        }
        let full = resolve_path(self.prefix, pattern);
        let files = if has_glob(pattern) {
            glob(&full)
        } else {
            if !full.exists() {
                return Err(ConfigError::new(
                    file,
                    t.line,
                    t.column,
                    format!("included file {} does not exist", full.display()),
                ));
            }
            vec![full]
        };
        let mut out = vec![];
        for f in files {
            let canon = std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone());
            if self.stack.contains(&canon) {
                return Err(ConfigError::new(
                    file,
                    t.line,
                    t.column,
                    format!("{} includes itself", f.display()),
                ));
            }
            self.stack.push(canon);
            self.depth += 1;
            let r = self.parse_file(&f);
            self.depth -= 1;
            self.stack.pop();
            out.extend(r?);
        }
        Ok(out)
    }
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Shell-style match of one path component: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`.
pub fn glob_match(pat: &str, name: &str) -> bool {
    fn m(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|k| m(&p[1..], &n[k..])),
            Some('?') => !n.is_empty() && m(&p[1..], &n[1..]),
            Some('[') => {
                let Some(end) = p.iter().skip(1).position(|&c| c == ']').map(|e| e + 1) else {
                    return n.first() == Some(&'[') && m(&p[1..], &n[1..]);
                };
                let Some(&c) = n.first() else { return false };
                let mut set = &p[1..end];
                let negate = matches!(set.first(), Some('!') | Some('^'));
                if negate {
                    set = &set[1..];
                }
                let mut hit = false;
                let mut k = 0;
                while k < set.len() {
                    if k + 2 < set.len() && set[k + 1] == '-' {
                        hit |= set[k] <= c && c <= set[k + 2];
                        k += 3;
                    } else {
                        hit |= set[k] == c;
                        k += 1;
                    }
                }
                hit != negate && m(&p[end + 1..], &n[1..])
            }
            Some(&c) => n.first() == Some(&c) && m(&p[1..], &n[1..]),
        }
    }
    // Like glob(3): a leading dot is matched only by a leading dot in the pattern.
    if name.starts_with('.') && !pat.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    m(&p, &n)
}

/// Expand a pattern (wildcards in any component) to existing paths, sorted like glob(3).
pub fn glob(pattern: &Path) -> Vec<PathBuf> {
    use std::path::Component;
    let mut current = vec![PathBuf::new()];
    for comp in pattern.components() {
        let s = comp.as_os_str().to_string_lossy();
        if !matches!(comp, Component::Normal(_)) || !has_glob(&s) {
            for c in &mut current {
                c.push(comp.as_os_str());
            }
            continue;
        }
        let mut next = vec![];
        for dir in &current {
            let Ok(rd) = std::fs::read_dir(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }) else {
                continue;
            };
            let mut names: Vec<String> = rd
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| glob_match(&s, n))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|n| dir.join(n)));
        }
        current = next;
    }
    current.retain(|p| p.exists());
    current
}

/// Parse a config file and everything it includes into a directive tree.
pub fn parse_tree(file: &Path) -> Result<Vec<Directive>, ConfigError> {
    let prefix = config_dir(file);
    let mut p = Parser {
        prefix: &prefix,
        depth: 0,
        stack: vec![std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())],
    };
    p.parse_file(file)
}

/// `ssl_*` settings of one scope (http/stream or server), in order of appearance.
#[derive(Debug, Default, Clone)]
struct Scope<'a> {
    dirs: Vec<&'a Directive>,
}

impl<'a> Scope<'a> {
    fn of(block: &'a [Directive]) -> Self {
        Scope {
            dirs: block
                .iter()
                .filter(|d| {
                    d.block.is_none()
                        && (FILE_DIRECTIVES.iter().any(|(n, _)| *n == d.name)
                            || FLAG_DIRECTIVES.contains(&d.name.as_str()))
                })
                .collect(),
        }
    }

    fn get(&self, name: &str) -> Vec<&'a Directive> {
        self.dirs
            .iter()
            .copied()
            .filter(|d| d.name == name)
            .collect()
    }

    /// The server's own setting, else the inherited one.
    fn effective(&self, parent: &Scope<'a>, name: &str) -> Vec<&'a Directive> {
        let own = self.get(name);
        if own.is_empty() {
            parent.get(name)
        } else {
            own
        }
    }
}

/// Read an nginx config (and its includes) and list the TLS files each server block uses.
pub fn parse(file: &Path) -> Result<ServerConfig, ConfigError> {
    let tree = parse_tree(file)?;
    let prefix = config_dir(file);
    let mut cfg = ServerConfig::new(ServerKind::Nginx, file);
    let empty = Scope::default();
    // Server blocks live in http {} and stream {}; tolerate a snippet with bare server {}.
    let mut found_server = false;
    for top in &tree {
        match (&top.name[..], &top.block) {
            ("http" | "stream", Some(block)) => {
                let parent = Scope::of(block);
                let mut n = 0;
                for d in block {
                    if let ("server", Some(sb)) = (&d.name[..], &d.block) {
                        n += 1;
                        found_server = true;
                        let label = server_label(&top.name, d, sb, n);
                        add_site(&mut cfg, &prefix, &label, &Scope::of(sb), &parent);
                    }
                }
                if n == 0 && !parent.dirs.is_empty() {
                    add_site(&mut cfg, &prefix, &top.name, &parent, &empty);
                }
            }
            ("server", Some(sb)) => {
                found_server = true;
                let label = server_label("http", top, sb, 1);
                add_site(&mut cfg, &prefix, &label, &Scope::of(sb), &empty);
            }
            _ => {}
        }
    }
    if !found_server {
        // A bare snippet of ssl_* lines (e.g. an `options-ssl-nginx.conf`).
        let scope = Scope::of(&tree);
        if !scope.dirs.is_empty() {
            add_site(&mut cfg, &prefix, "main", &scope, &empty);
        }
    }
    Ok(cfg)
}

fn server_label(parent: &str, d: &Directive, block: &[Directive], n: usize) -> String {
    let name = block
        .iter()
        .find(|x| x.name == "server_name")
        .and_then(|x| x.args.iter().find(|a| !a.is_empty() && *a != "_"));
    let listen = block
        .iter()
        .find(|x| x.name == "listen")
        .and_then(|x| x.args.first());
    let stream = if parent == "stream" { "stream " } else { "" };
    match (name, listen) {
        (Some(n), _) => format!("{stream}server {n}"),
        (None, Some(l)) => format!("{stream}server {l}"),
        (None, None) => format!(
            "{stream}server #{n} ({}:{})",
            d.file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            d.line
        ),
    }
}

fn add_site(cfg: &mut ServerConfig, prefix: &Path, label: &str, own: &Scope, parent: &Scope) {
    let has_files = FILE_DIRECTIVES
        .iter()
        .any(|(n, _)| !own.effective(parent, n).is_empty());
    if !has_files {
        return;
    }
    let site = cfg.site(label);
    for (name, role) in FILE_DIRECTIVES {
        for d in own.effective(parent, name) {
            let Some(v) = d.args.first() else { continue };
            let origin = format!("{}:{}", d.file.display(), d.line);
            if v.contains('$') || v.starts_with("data:") || v.starts_with("engine:") {
                cfg.notes.push(format!(
                    "{origin}: {name} {v} is resolved at run time; not followed"
                ));
                continue;
            }
            cfg.add_use(site, name, resolve_path(prefix, v), *role, origin);
        }
    }
    let s = &mut cfg.sites[site];
    s.verify_client = own
        .effective(parent, "ssl_verify_client")
        .last()
        .and_then(|d| d.args.first())
        .is_some_and(|v| v == "on" || v == "optional");
    s.crl_check = !own.effective(parent, "ssl_crl").is_empty();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Tok> {
        tokenize(text, Path::new("t.conf"))
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    fn w(s: &str) -> Tok {
        Tok::Word(s.into())
    }

    #[test]
    fn tokens_quotes_comments() {
        assert_eq!(
            words("ssl_certificate  \"/a b/c.pem\"; # comment ; {\nx 'y;z'{}"),
            vec![
                w("ssl_certificate"),
                w("/a b/c.pem"),
                Tok::Semi,
                w("x"),
                w("y;z"),
                Tok::Open,
                Tok::Close
            ]
        );
        // `#` inside a word is not a comment; escapes in quotes.
        assert_eq!(
            words(r#"a#b "q\"q" ${host}x;"#),
            vec![w("a#b"), w("q\"q"), w("${host}x"), Tok::Semi]
        );
    }

    #[test]
    fn token_positions() {
        let t = tokenize("a;\n  bb  'c' ;", Path::new("t")).unwrap();
        assert_eq!((t[2].line, t[2].column), (2, 3));
        assert_eq!((t[3].line, t[3].column), (2, 7));
    }

    #[test]
    fn unterminated_quote_is_an_error_with_position() {
        let e = tokenize("a;\n b \"oops;", Path::new("t.conf")).unwrap_err();
        assert_eq!((e.line, e.column), (2, 4));
        assert!(e.msg.contains("unterminated"), "{e}");
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn structural_errors_have_line_and_column() {
        let d = tempfile::tempdir().unwrap();
        for (text, line, col, what) in [
            ("http {\n  server {\n  }\n", 1, 6, "never closed"),
            ("a b;\n}\n", 2, 1, "unexpected \"}\""),
            ("events {}\nworker_processes 1", 2, 1, "not terminated"),
            ("x { a b }", 1, 9, "not terminated"),
            ("{ }", 1, 1, "directive name"),
        ] {
            let f = write(d.path(), "n.conf", text);
            let e = parse(&f).unwrap_err();
            assert_eq!((e.line, e.column), (line, col), "{text:?}: {e}");
            assert!(e.msg.contains(what), "{text:?}: {e}");
        }
    }

    #[test]
    fn servers_inherit_and_override() {
        let d = tempfile::tempdir().unwrap();
        let f = write(
            d.path(),
            "nginx.conf",
            r#"
events { worker_connections 64; }
http {
    ssl_certificate     /etc/tls/default.pem;   # inherited
    ssl_certificate_key /etc/tls/default.key;
    ssl_dhparam dh.pem;
    server {
        listen 443 ssl;
        server_name api.example.com www.example.com;
        ssl_certificate     "certs/api.pem";
        ssl_certificate_key 'private/api.key';
        ssl_certificate     certs/api-rsa.pem;
        ssl_certificate_key private/api-rsa.key;
        ssl_client_certificate ca.pem;
        ssl_verify_client on;
        ssl_crl crl.pem;
        location / { return 200 "ok"; }
    }
    server {
        listen 8443 ssl;
        server_name _;
    }
    server { listen 80; ssl_certificate $ssl_server_name.crt; }
}
"#,
        );
        let cfg = parse(&f).unwrap();
        assert_eq!(cfg.sites.len(), 3, "{:?}", cfg.sites);
        let api: Vec<_> = cfg.site_uses(0).collect();
        assert_eq!(cfg.sites[0].context, "server api.example.com");
        assert!(cfg.sites[0].verify_client && cfg.sites[0].crl_check);
        let certs: Vec<_> = api
            .iter()
            .filter(|u| u.role == Role::Certificate)
            .map(|u| u.path.clone())
            .collect();
        assert_eq!(
            certs,
            vec![
                d.path().join("certs/api.pem"),
                d.path().join("certs/api-rsa.pem")
            ]
        );
        assert!(api
            .iter()
            .any(|u| u.directive == "ssl_dhparam" && u.path == d.path().join("dh.pem")));
        assert_eq!(
            api[0].label(),
            "nginx: server api.example.com, ssl_certificate"
        );
        // Second server: everything inherited from http.
        assert_eq!(cfg.sites[1].context, "server 8443");
        let inherited: Vec<_> = cfg.site_uses(1).map(|u| u.path.clone()).collect();
        assert!(inherited.contains(&PathBuf::from("/etc/tls/default.pem")));
        assert!(!cfg.sites[1].verify_client);
        // Third: the variable is noted, not followed; the key is inherited.
        assert!(cfg.notes.iter().any(|n| n.contains("$ssl_server_name")));
    }

    #[test]
    fn include_glob_relative_to_config_dir_and_nested() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "snippets/ssl-a.conf",
            "ssl_certificate a.pem; ssl_certificate_key a.key;",
        );
        write(
            d.path(),
            "snippets/ssl-b.conf",
            "ssl_trusted_certificate chain.pem;",
        );
        write(d.path(), "snippets/.hidden.conf", "ssl_crl hidden.pem;");
        write(d.path(), "snippets/other.txt", "this is { not nginx");
        write(
            d.path(),
            "sites/one.conf",
            "server { server_name one.test; include snippets/ssl-*.conf; }",
        );
        let f = write(
            d.path(),
            "nginx.conf",
            "http { include sites/*.conf; include mime.types; }",
        );
        write(d.path(), "mime.types", "types { text/html html; }");
        let cfg = parse(&f).unwrap();
        assert_eq!(cfg.sites.len(), 1);
        let uses: Vec<_> = cfg
            .uses
            .iter()
            .map(|u| (u.directive.as_str(), u.path.clone()))
            .collect();
        assert_eq!(
            uses,
            vec![
                ("ssl_certificate", d.path().join("a.pem")),
                ("ssl_certificate_key", d.path().join("a.key")),
                ("ssl_trusted_certificate", d.path().join("chain.pem")),
            ]
        );
        assert!(cfg.uses[0].origin.contains("ssl-a.conf:1"));
    }

    #[test]
    fn missing_include_and_include_loop() {
        let d = tempfile::tempdir().unwrap();
        let f = write(d.path(), "nginx.conf", "http {\n  include nope.conf;\n}");
        let e = parse(&f).unwrap_err();
        assert_eq!((e.line, e.column), (2, 3));
        assert!(e.msg.contains("does not exist"));
        // A glob that matches nothing is fine, as in nginx.
        let f = write(d.path(), "nginx.conf", "http { include none/*.conf; }");
        assert!(parse(&f).unwrap().sites.is_empty());
        let f = write(d.path(), "loop.conf", "include loop.conf;");
        let e = parse(&f).unwrap_err();
        assert!(e.msg.contains("includes itself"), "{e}");
    }

    #[test]
    fn glob_matching() {
        assert!(glob_match("*.conf", "a.conf"));
        assert!(!glob_match("*.conf", "a.conf.bak"));
        assert!(!glob_match("*.conf", ".a.conf"));
        assert!(glob_match("ssl-[ab]?.conf", "ssl-b1.conf"));
        assert!(glob_match("ssl-[!a].conf", "ssl-c.conf"));
        assert!(!glob_match("ssl-[!a].conf", "ssl-a.conf"));
        assert!(glob_match("[0-9]*", "5x"));
    }
}
