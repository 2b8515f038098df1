//! The subject fields of a new certificate or CSR, named as openssl's `-subj` parts are.

use crate::pki::issue::SubjectSpec;

#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Subject")]
pub struct SubjectArgs {
    /// Common name (required for certificates and CSRs).
    #[arg(long, default_value = "")]
    pub cn: String,
    /// Organization (O).
    #[arg(long = "org", visible_alias = "o", value_name = "O")]
    pub o: Option<String>,
    /// Organizational unit (OU).
    #[arg(long = "org-unit", visible_alias = "ou", value_name = "OU")]
    pub ou: Option<String>,
    /// Country, two letters (C).
    #[arg(long = "country", visible_alias = "c", value_name = "C")]
    pub c: Option<String>,
    /// State or province (ST).
    #[arg(long = "state", visible_alias = "st", value_name = "ST")]
    pub st: Option<String>,
    /// Locality, a city (L).
    #[arg(long = "locality", visible_alias = "l", value_name = "L")]
    pub l: Option<String>,
    /// E-mail address in the subject (emailAddress).
    #[arg(long)]
    pub email: Option<String>,
}

impl SubjectArgs {
    pub fn into_spec(self) -> SubjectSpec {
        SubjectSpec {
            cn: self.cn,
            o: self.o,
            ou: self.ou,
            c: self.c,
            st: self.st,
            l: self.l,
            email: self.email,
        }
    }
}
