//! `cargo run -- keys ...`: access keys from the command line, on whichever store the
//! configuration names (the embedded store in `SVAR_DATA_DIR`, or DynamoDB). This is how
//! the first key of a deployment is made; after that keys are made in the workspace.
//!
//! ```text
//! cargo run -- keys create --org ale --label "Anna, enhetschef"
//! cargo run -- keys list --org ale
//! cargo run -- keys revoke --org ale --id <key id>
//! ```
//!
//! Each run seeds the organisations first (idempotent), so a fresh deployment has them.
//! A created key's secret is printed once, on standard output, and never stored.

use std::error::Error;

use svar_shared::domain::AccessKey;
use svar_shared::service::workspace::{Workspace, seed};
use time::format_description::well_known::Rfc3339;

pub const USAGE: &str = "\
Användning:
  cargo run -- keys create --org <organisation> --label <etikett>
  cargo run -- keys list   --org <organisation>
  cargo run -- keys revoke --org <organisation> --id <nyckelns id>
Organisationer: gr, ale, alingsas, goteborg, harryda, kungsbacka, kungalv, lerum,
lilla_edet, molndal, partille, stenungsund, tjorn, ockero";

/// One `keys` command, parsed from the arguments after `keys`.
#[derive(Debug, PartialEq, Eq)]
pub enum KeysCommand {
    Create { org: String, label: String },
    List { org: String },
    Revoke { org: String, id: String },
}

impl KeysCommand {
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let (verb, rest) = args.split_first().ok_or_else(|| USAGE.to_owned())?;
        let mut org = None;
        let mut label = None;
        let mut id = None;
        let mut pairs = rest.iter();
        while let Some(flag) = pairs.next() {
            let slot = match flag.as_str() {
                "--org" => &mut org,
                "--label" => &mut label,
                "--id" => &mut id,
                other => return Err(format!("okänt argument '{other}'\n{USAGE}")),
            };
            *slot = Some(
                pairs
                    .next()
                    .ok_or_else(|| format!("{flag} saknar ett värde\n{USAGE}"))?
                    .clone(),
            );
        }
        let need = |value: Option<String>, flag: &str| {
            value.ok_or_else(|| format!("{flag} behövs\n{USAGE}"))
        };
        match verb.as_str() {
            "create" => Ok(KeysCommand::Create {
                org: need(org, "--org")?,
                label: need(label, "--label")?,
            }),
            "list" => Ok(KeysCommand::List {
                org: need(org, "--org")?,
            }),
            "revoke" => Ok(KeysCommand::Revoke {
                org: need(org, "--org")?,
                id: need(id, "--id")?,
            }),
            other => Err(format!("okänt kommando '{other}'\n{USAGE}")),
        }
    }
}

pub async fn run(workspace: &Workspace, command: KeysCommand) -> Result<(), Box<dyn Error>> {
    seed::seed(workspace.store()).await?;
    let org = match &command {
        KeysCommand::Create { org, .. }
        | KeysCommand::List { org }
        | KeysCommand::Revoke { org, .. } => org,
    };
    let operator = workspace
        .operator(org)
        .await
        .map_err(|_| format!("organisationen '{org}' finns inte\n{USAGE}"))?;
    match command {
        KeysCommand::Create { label, .. } => {
            let created = workspace.create_key(&operator, &label).await?;
            println!("Ny nyckel för {}:", operator.organisation.name);
            println!("  id:       {}", created.key.id);
            println!("  etikett:  {}", created.key.label);
            println!("  nyckel:   {}", created.secret.reveal());
            println!("Nyckeln visas bara nu. Spara den på ett säkert ställe.");
        }
        KeysCommand::List { .. } => {
            let keys = workspace.keys(&operator).await?;
            if keys.is_empty() {
                println!("{} har inga nycklar.", operator.organisation.name);
            }
            for key in keys {
                println!("{}", describe(&key));
            }
        }
        KeysCommand::Revoke { id, .. } => {
            let key = workspace.revoke_key(&operator, &id).await?;
            println!("Återkallad: {}", describe(&key));
        }
    }
    Ok(())
}

fn describe(key: &AccessKey) -> String {
    let time = |at: time::OffsetDateTime| at.format(&Rfc3339).unwrap_or_default();
    match key.revoked_at {
        Some(revoked) => format!(
            "{}  {}  skapad {}  återkallad {}",
            key.id,
            key.label,
            time(key.created_at),
            time(revoked)
        ),
        None => format!(
            "{}  {}  skapad {}  aktiv",
            key.id,
            key.label,
            time(key.created_at)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn the_three_commands_parse_and_anything_else_shows_the_usage() {
        assert_eq!(
            KeysCommand::parse(&args("create --org ale --label Anna")),
            Ok(KeysCommand::Create {
                org: "ale".into(),
                label: "Anna".into()
            })
        );
        assert_eq!(
            KeysCommand::parse(&args("list --org gr")),
            Ok(KeysCommand::List { org: "gr".into() })
        );
        assert!(KeysCommand::parse(&args("revoke --org ale")).is_err());
        assert!(KeysCommand::parse(&args("create --org")).is_err());
        assert!(KeysCommand::parse(&args("delete --org ale")).is_err());
        assert!(KeysCommand::parse(&[]).unwrap_err().contains("Användning"));
    }
}
