//! The workspace's pages, by area. Each renders with [`layout::page`]; every form carries
//! the session's CSRF token ([`layout::csrf_field`]).

pub mod audit;
pub mod comparison;
pub mod export_job;
pub mod exports;
pub mod home;
pub mod invitations;
pub mod keys;
pub mod layout;
pub mod letters;
pub mod network;
pub mod network_answers;
pub mod network_municipality;
pub mod network_upload;
pub mod rates;
pub mod rounds;
pub mod signin;
