//! Forms that post one API request each, declared once per operation: the page the form sits
//! on and the form name its refusals are shown under. One handler, [`posted`], serves them
//! all, so a new form is a route and a line in [`posted_forms!`].
//!
//! The URL's path parameters become the request's own where its API route names them
//! (`{round}`, `{id}`, `{handle}`), and the dashboard's `{slug}` is the API's `{project}`;
//! the form's fields give the rest, as [`form_op_on`] reads them.

use axum::extract::{Path, State};
use axum::response::Response;
use fairshare_ops::Write;
use fairshare_ops::corrections::{Adjust, Reverse};
use fairshare_ops::distributions::RecordRevenue;
use fairshare_ops::membership::{
    AddMember, AdmitAgent, AdmitProject, DeclineJoin, DeclineProject, ProposeProject, RemoveMember,
    SetRole,
};
use fairshare_ops::peer::{
    AddBounty, AllocatePool, CloseRound, CompleteBounty, Give, OpenRound, OptOut, RecordCaptable,
    SetBlend, StewardGive,
};
use fairshare_ops::projects::{SetApprovals, SetRate};
use fairshare_ops::resources::{CommunityAdd, CommunityRemove, OpenCampaign, UseResource};
use fairshare_ops::treasury::{
    ApproveExpense, ApprovePayout, Exchange, RejectExpense, RejectPayout, SubmitExpense,
    TransferMoney,
};

use super::{FormPage, Viewer, WebForm, form_op_on};
use crate::AppState;

/// The page a form sits on: shown again with the refusal, left for when the write is recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum On {
    /// `/projects/{slug}`.
    Project,
    /// `/projects/{slug}/peer`.
    Peer,
    /// `/treasury`.
    Treasury,
    /// `/membership`.
    Membership,
}

/// An operation the dashboard posts from one form.
pub(crate) trait PostedForm: Write {
    /// The form name its refusals are shown under.
    const FORM: &'static str;
    const ON: On;
}

macro_rules! posted_forms {
    ($($on:ident { $($op:ty => $form:literal),* $(,)? })*) => {
        $($(impl PostedForm for $op {
            const FORM: &'static str = $form;
            const ON: On = On::$on;
        })*)*
    };
}

posted_forms! {
    Project {
        RecordRevenue => "revenue", SetRate => "rate", SetApprovals => "approvals",
        OpenCampaign => "campaign",
        UseResource => "use", CommunityAdd => "community", CommunityRemove => "community",
        AddMember => "member", RemoveMember => "member", Adjust => "adjust", Reverse => "reverse",
    }
    Peer {
        OpenRound => "round", Give => "give", OptOut => "give", CloseRound => "round",
        StewardGive => "steward", SetBlend => "blend", AddBounty => "bounty",
        CompleteBounty => "award", AllocatePool => "pool", RecordCaptable => "captable",
    }
    Treasury {
        SubmitExpense => "expense", TransferMoney => "transfer", Exchange => "exchange",
        ApprovePayout => "payout-review", RejectPayout => "payout-review",
        ApproveExpense => "expense-review", RejectExpense => "expense-review",
    }
    Membership {
        ProposeProject => "propose", AdmitAgent => "join-review", DeclineJoin => "join-review",
        SetRole => "role", AdmitProject => "proposal-review", DeclineProject => "proposal-review",
    }
}

/// Posts form `O` as its API request; back to its page when recorded.
pub(crate) async fn posted<O: PostedForm>(
    State(app): State<AppState>,
    viewer: Viewer,
    params: Option<Path<Vec<(String, String)>>>,
    WebForm(fields): WebForm,
) -> Response {
    let params = params.map(|Path(params)| params).unwrap_or_default();
    let slug = params
        .iter()
        .find(|(name, _)| name == "slug")
        .map(|(_, slug)| slug.clone())
        .unwrap_or_default();
    let (page, back) = match O::ON {
        On::Project => (FormPage::project(&slug), format!("/projects/{slug}")),
        On::Peer => (
            FormPage::Peer(slug.clone(), Default::default()),
            format!("/projects/{slug}/peer"),
        ),
        On::Treasury => (
            FormPage::Treasury(Default::default()),
            "/treasury".to_string(),
        ),
        On::Membership => (
            FormPage::Membership(Default::default()),
            "/membership".to_string(),
        ),
    };
    let path = request_path(O::ROUTE.path, params);
    form_op_on::<O>(&app, &viewer, &fields, path, O::FORM, &page, back).await
}

/// The URL's parameters that the API route `route` names, as the request's fields.
fn request_path(route: &str, params: Vec<(String, String)>) -> Vec<(String, String)> {
    params
        .into_iter()
        .filter_map(|(name, value)| {
            let name = if name == "slug" && !route.contains("{slug}") {
                "project".to_string()
            } else {
                name
            };
            route
                .contains(&format!("{{{name}}}"))
                .then_some((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::request_path;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_url_gives_what_the_api_route_names() {
        let web = pairs(&[("slug", "forillon"), ("round", "3")]);
        assert_eq!(
            request_path("/api/v1/rounds/{round}/gifts", web.clone()),
            pairs(&[("round", "3")])
        );
        assert_eq!(
            request_path("/api/v1/projects/{project}/rounds", web),
            pairs(&[("project", "forillon")])
        );
        assert_eq!(
            request_path(
                "/api/v1/project-proposals/{slug}/admit",
                pairs(&[("slug", "shop")])
            ),
            pairs(&[("slug", "shop")])
        );
        assert_eq!(
            request_path("/api/v1/expenses", Vec::new()),
            Vec::<(String, String)>::new()
        );
        assert_eq!(
            request_path("/api/v1/contributions/{id}/adjust", pairs(&[("slug", "p")])),
            Vec::<(String, String)>::new()
        );
    }
}
