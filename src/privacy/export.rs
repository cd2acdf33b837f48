//! What an access request (GDPR art. 15) collects about one address: the cases
//! whose customer it is or that a mail from it joined, each with its timeline
//! and the mail sent to the customer, and every stored mail from the customer's
//! addresses (those the cases link: the address a case was opened from, a new
//! address staff recorded with `#address`), including mail of no case.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::case::{Case, Event};
use crate::store::{CustomerMail, Outgoing, Store};

/// One case of the customer.
#[derive(Debug, Clone)]
pub struct CaseExport {
    pub case: Case,
    pub timeline: Vec<(DateTime<Utc>, Event)>,
    /// Mail klagebot sent to the customer in this case.
    pub sent: Vec<Outgoing>,
    pub deadlines: Vec<(String, DateTime<Utc>)>,
}

/// Everything klagebot holds about one customer.
#[derive(Debug, Clone)]
pub struct CustomerExport {
    /// The address asked about.
    pub address: String,
    /// Every address of the customer the cases link (lower case).
    pub addresses: BTreeSet<String>,
    pub cases: Vec<CaseExport>,
    /// The stored mail from the customer's addresses, oldest first.
    pub received: Vec<CustomerMail>,
}

/// Collects what klagebot holds about the customer at `address`.
pub async fn collect(store: &Store, address: &str) -> anyhow::Result<CustomerExport> {
    let key = address.trim().to_lowercase();
    let mut addresses = BTreeSet::from([key.clone()]);
    let mut cases = Vec::new();
    let references = store.customer_cases(&key).await?;
    for reference in &references {
        let case = store
            .case(reference)
            .await?
            .ok_or_else(|| anyhow::anyhow!("case {reference} vanished while exporting"))?;
        let timeline = store.timeline(reference).await?;
        addresses.insert(case.customer.key());
        for (_, event) in &timeline {
            match event {
                Event::Opened { from, by: None, .. } => addresses.insert(from.key()),
                Event::CustomerAddressChanged { address, .. } => addresses.insert(address.key()),
                _ => false,
            };
        }
        let outgoing = store.outgoing_for_case(reference).await?;
        let deadlines = store.deadlines_for_case(reference).await?;
        cases.push(CaseExport {
            case,
            timeline,
            sent: outgoing,
            deadlines,
        });
    }
    for export in &mut cases {
        export.sent.retain(|m| {
            m.recipients
                .iter()
                .any(|r| addresses.contains(&r.trim().to_lowercase()))
        });
    }
    let mut received = Vec::new();
    for sender in &addresses {
        for mail in store.customer_mail(&references, sender).await? {
            let from_customer = mail.case_ref.is_none()
                || crate::parse::parse(&mail.raw)
                    .from
                    .is_some_and(|a| addresses.contains(&a.email.key()));
            if from_customer && !received.iter().any(|m: &CustomerMail| m.id == mail.id) {
                received.push(mail);
            }
        }
    }
    received.sort_by_key(|m| (m.received_at, m.id));
    Ok(CustomerExport {
        address: key,
        addresses,
        cases,
        received,
    })
}
