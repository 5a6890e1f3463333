//! The workspace's pages, by area. Each renders with [`layout::page`]; every form carries
//! the session's CSRF token ([`layout::csrf_field`]).

pub mod audit;
pub mod home;
pub mod keys;
pub mod layout;
pub mod rounds;
pub mod signin;
pub mod invitations;
pub mod letters;
pub mod rates;
