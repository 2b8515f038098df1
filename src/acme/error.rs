//! ACME failures as sentences: what the CA said, and what to do about it. badNonce is retried
//! by instant-acme itself; what reaches here is final.

use instant_acme::{Error, Problem};

/// One line (or a few) for a person; never holds key material (instant-acme's errors do not).
pub fn explain(e: &Error) -> String {
    match e {
        Error::Api(p) => explain_problem(p),
        Error::Timeout(_) => {
            "the CA did not finish the order in time (it may still be validating; retry later)"
                .into()
        }
        Error::Hyper(h) => format!("cannot reach the ACME server: {h}{}", source_chain(h)),
        Error::Other(o) => format!("{o}{}", source_chain(o.as_ref())),
        other => format!("{other}{}", source_chain(other)),
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = String::new();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The short ACME error name (`rateLimited`) of a problem type URN.
pub fn kind(p: &Problem) -> &str {
    p.r#type
        .as_deref()
        .map(|t| t.rsplit(':').next().unwrap_or(t))
        .unwrap_or("")
}

pub fn explain_problem(p: &Problem) -> String {
    let detail = p.detail.as_deref().unwrap_or("no detail given");
    let mut s = match kind(p) {
        "rateLimited" => format!(
            "rate limited by the CA: {detail} (wait before retrying; Let's Encrypt's limits reset over hours to a week)"
        ),
        "rejectedIdentifier" => format!(
            "the CA refuses to issue for this name: {detail} (public CAs do not issue for internal names or IPs)"
        ),
        "unauthorized" => format!("the CA could not confirm control of the name: {detail}"),
        "dns" => format!("DNS lookup by the CA failed: {detail} (check the name's A/AAAA/TXT/CAA records)"),
        "connection" => format!("the CA could not connect to the challenge responder: {detail} (is port 80 reachable from the internet?)"),
        "incorrectResponse" => format!("the CA got a wrong challenge response: {detail}"),
        "caa" => format!("a CAA record forbids this CA: {detail}"),
        "externalAccountRequired" => format!("{detail} (this CA needs --eab-kid and --eab-hmac-key-file)"),
        "userActionRequired" => format!("{detail} (the CA's terms changed; agree to them again)"),
        "badNonce" => format!("the CA kept rejecting nonces: {detail}"),
        "" => detail.to_string(),
        k => format!("{detail} ({k})"),
    };
    for sp in &p.subproblems {
        s.push_str("\n  ");
        if let Some(id) = &sp.identifier {
            s.push_str(&format!("{}: ", id.authorized(false)));
        }
        s.push_str(sp.detail.as_deref().unwrap_or(""));
    }
    s
}
