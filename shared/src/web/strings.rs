//! Every text of the pages that is not part of a questionnaire, in Swedish and English.
//! A struct rather than lookup keys, so a missing translation is a compile error.

use crate::domain::answers::Problem;
use crate::domain::text::Lang;
use crate::service::respondent::FormProblem;

pub struct UiText {
    pub service_name: &'static str,
    pub skip_to_content: &'static str,
    /// The language switch, written in the language it switches to.
    pub switch_language: &'static str,
    pub part_of: fn(usize, usize) -> String,
    pub back: &'static str,
    pub next: &'static str,
    pub send: &'static str,
    pub required: &'static str,
    pub optional: &'static str,
    pub dont_know: &'static str,
    pub not_applicable: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub month_hint: &'static str,
    pub number_hint: fn(u32) -> String,
    pub choose_at_most: fn(u32) -> String,
    pub max_characters: fn(u32) -> String,
    pub error_title_prefix: &'static str,
    pub error_summary_title: fn(usize) -> String,
    pub saved_note: &'static str,
    pub thanks_title: &'static str,
    pub thanks_body: &'static str,
    pub answered_title: &'static str,
    pub answered_body: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub code_title: &'static str,
    pub code_intro: &'static str,
    pub code_label: &'static str,
    pub code_hint: &'static str,
    pub code_button: &'static str,
    pub code_invalid: &'static str,
    pub code_unknown: &'static str,
    pub too_large_title: &'static str,
    pub too_large_body: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable_body: &'static str,
    pub home_title: &'static str,
    pub home_body: &'static str,
    pub home_code_link: &'static str,
    // Added by the respondent work.
    /// "Del 2", for a page while conditions can still add or remove pages.
    pub part: fn(usize) -> String,
    /// The page of a post that could not be stored: press the same button again.
    pub not_saved_title: &'static str,
    pub not_saved_body: fn(&str) -> String,
    /// After too many wrong links or codes from one place.
    pub too_many_attempts_title: &'static str,
    pub too_many_attempts_body: &'static str,
    /// Our own fault (damaged data, a missing questionnaire): a 500.
    pub failed_title: &'static str,
    pub failed_body: &'static str,
}

pub const SV: UiText = UiText {
    service_name: "Svar",
    skip_to_content: "Hoppa till innehållet",
    switch_language: "In English",
    part_of: |n, total| format!("Del {n} av {total}"),
    back: "Tillbaka",
    next: "Nästa",
    send: "Skicka svaren",
    required: "måste besvaras",
    optional: "frivillig",
    dont_know: "Vet ej",
    not_applicable: "Ej aktuellt",
    yes: "Ja",
    no: "Nej",
    month_hint: "Skriv år och månad, till exempel 2026-03.",
    number_hint: |decimals| match decimals {
        0 => "Skriv ett heltal.".to_owned(),
        1 => "Skriv ett tal, med högst en decimal.".to_owned(),
        d => format!("Skriv ett tal, med högst {d} decimaler."),
    },
    choose_at_most: |max| format!("Välj högst {max}."),
    max_characters: |max| format!("Högst {max} tecken."),
    error_title_prefix: "Fel: ",
    error_summary_title: |n| {
        if n == 1 {
            "Det finns ett fel att rätta".to_owned()
        } else {
            format!("Det finns {n} fel att rätta")
        }
    },
    saved_note: "Dina svar sparas när du går vidare. Du kan stänga sidan och öppna länken igen senare.",
    thanks_title: "Tack för dina svar",
    thanks_body: "Dina svar är skickade. Du kan nu stänga sidan.",
    answered_title: "Enkäten är redan besvarad",
    answered_body: "Svar har redan skickats med den här länken eller koden. Varje inbjudan kan bara användas en gång.",
    not_found_title: "Sidan finns inte",
    not_found_body: "Länken eller koden stämmer inte, eller så har den slutat gälla. Kontrollera att du har skrivit av den rätt.",
    code_title: "Svara med kod",
    code_intro: "Har du fått ett brev med en kod? Skriv koden här för att öppna enkäten.",
    code_label: "Kod",
    code_hint: "Koden står i brevet och har tio tecken, till exempel ABCDE-12345.",
    code_button: "Öppna enkäten",
    code_invalid: "Koden ska ha tio bokstäver och siffror. Kontrollera att du har skrivit av den rätt.",
    code_unknown: "Vi hittar ingen enkät med den koden. Kontrollera att du har skrivit av den rätt.",
    too_large_title: "För mycket text",
    too_large_body: "Det du skickade var för stort. Gå tillbaka, korta ner texten och försök igen.",
    unavailable_title: "Tjänsten är inte tillgänglig just nu",
    unavailable_body: "Tjänsten svarar inte just nu. Det du skrev på den senaste sidan kanske inte sparades. Försök igen om en stund.",
    home_title: "Svar",
    home_body: "Här svarar du på enkäter från din kommun. Använd länken i ditt brev eller meddelande.",
    home_code_link: "Har du en kod? Svara med kod",
    // Added by the respondent work.
    part: |n| format!("Del {n}"),
    not_saved_title: "Det gick inte igenom",
    not_saved_body: |button| {
        format!(
            "Vi kunde inte spara den här sidan just nu. Det du har skrivit står kvar nedan. Tryck på ”{button}” igen om en stund."
        )
    },
    too_many_attempts_title: "För många försök",
    too_many_attempts_body: "Det har kommit många felaktiga länkar eller koder härifrån på kort tid. Vänta fem minuter och försök sedan igen. Kontrollera att du skriver av koden rätt.",
    failed_title: "Något gick fel",
    failed_body: "Något gick fel hos oss. Det du redan har sparat finns kvar. Försök igen senare, eller kontakta kommunen om det inte går.",
};

pub const EN: UiText = UiText {
    service_name: "Svar",
    skip_to_content: "Skip to content",
    switch_language: "På svenska",
    part_of: |n, total| format!("Part {n} of {total}"),
    back: "Back",
    next: "Next",
    send: "Send answers",
    required: "required",
    optional: "optional",
    dont_know: "Don't know",
    not_applicable: "Not applicable",
    yes: "Yes",
    no: "No",
    month_hint: "Write year and month, for example 2026-03.",
    number_hint: |decimals| match decimals {
        0 => "Write a whole number.".to_owned(),
        1 => "Write a number with at most one decimal.".to_owned(),
        d => format!("Write a number with at most {d} decimals."),
    },
    choose_at_most: |max| format!("Choose at most {max}."),
    max_characters: |max| format!("At most {max} characters."),
    error_title_prefix: "Error: ",
    error_summary_title: |n| {
        if n == 1 {
            "There is one problem to fix".to_owned()
        } else {
            format!("There are {n} problems to fix")
        }
    },
    saved_note: "Your answers are saved when you move on. You can close the page and open the link again later.",
    thanks_title: "Thank you for your answers",
    thanks_body: "Your answers have been sent. You can close the page now.",
    answered_title: "The survey has already been answered",
    answered_body: "Answers have already been sent with this link or code. Each invitation can be used only once.",
    not_found_title: "Page not found",
    not_found_body: "The link or code is not right, or it is no longer valid. Check that you copied it correctly.",
    code_title: "Answer with a code",
    code_intro: "Did you get a letter with a code? Type the code here to open the survey.",
    code_label: "Code",
    code_hint: "The code is in the letter and has ten characters, for example ABCDE-12345.",
    code_button: "Open the survey",
    code_invalid: "The code has ten letters and digits. Check that you copied it correctly.",
    code_unknown: "We cannot find a survey with that code. Check that you copied it correctly.",
    too_large_title: "Too much text",
    too_large_body: "What you sent was too large. Go back, shorten the text and try again.",
    unavailable_title: "The service is not available right now",
    unavailable_body: "The service is not answering just now. What you typed on the last page may not have been saved. Please try again in a moment.",
    home_title: "Svar",
    home_body: "Here you answer surveys from your municipality. Use the link in your letter or message.",
    home_code_link: "Have a code? Answer with a code",
    // Added by the respondent work.
    part: |n| format!("Part {n}"),
    not_saved_title: "It did not go through",
    not_saved_body: |button| {
        format!(
            "We could not save this page just now. What you typed is still below. Please press “{button}” again in a moment."
        )
    },
    too_many_attempts_title: "Too many attempts",
    too_many_attempts_body: "Many wrong links or codes have come from here in a short time. Wait five minutes and then try again. Check that you copy the code correctly.",
    failed_title: "Something went wrong",
    failed_body: "Something went wrong on our side. What you have already saved is kept. Please try again later, or contact the municipality if it does not work.",
};

pub fn ui(lang: Lang) -> &'static UiText {
    match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

/// A number as Swedes (decimal comma) or English readers write it.
pub fn format_number(value: f64, lang: Lang) -> String {
    let text = format!("{value}");
    match lang {
        Lang::Sv => text.replace('.', ","),
        Lang::En => text,
    }
}

/// The message shown next to a question and in the error summary.
pub fn problem_message(problem: &Problem, whole_text: Option<&str>, lang: Lang) -> String {
    let n = |v: f64| format_number(v, lang);
    let whole = whole_text.unwrap_or("");
    match (lang, problem) {
        (Lang::Sv, Problem::Required) => "Svara på frågan.".into(),
        (Lang::En, Problem::Required) => "Answer the question.".into(),
        (Lang::Sv, Problem::NotAnOption) => "Välj ett av alternativen.".into(),
        (Lang::En, Problem::NotAnOption) => "Choose one of the options.".into(),
        (Lang::Sv, Problem::OneAnswerOnly) => "Ge bara ett svar.".into(),
        (Lang::En, Problem::OneAnswerOnly) => "Give only one answer.".into(),
        (Lang::Sv, Problem::TooManyChoices { max }) => format!("Välj högst {max} alternativ."),
        (Lang::En, Problem::TooManyChoices { max }) => format!("Choose at most {max} options."),
        (Lang::Sv, Problem::TooLong { max, length }) => {
            format!("Texten får vara högst {max} tecken. Nu är den {length} tecken.")
        }
        (Lang::En, Problem::TooLong { max, length }) => {
            format!("The text can be at most {max} characters. It is now {length}.")
        }
        (Lang::Sv, Problem::NotANumber) => "Skriv ett tal med siffror, till exempel 12.".into(),
        (Lang::En, Problem::NotANumber) => "Write a number in digits, for example 12.".into(),
        (Lang::Sv, Problem::TooManyDecimals { decimals: 0 }) => {
            "Skriv ett heltal, utan decimaler.".into()
        }
        (Lang::En, Problem::TooManyDecimals { decimals: 0 }) => {
            "Write a whole number, without decimals.".into()
        }
        (Lang::Sv, Problem::TooManyDecimals { decimals }) => {
            format!("Skriv högst {decimals} decimaler.")
        }
        (Lang::En, Problem::TooManyDecimals { decimals }) => {
            format!("Write at most {decimals} decimals.")
        }
        (Lang::Sv, Problem::BelowMin { min }) => {
            format!("Talet får inte vara mindre än {}.", n(*min))
        }
        (Lang::En, Problem::BelowMin { min }) => {
            format!("The number cannot be less than {}.", n(*min))
        }
        (Lang::Sv, Problem::AboveMax { max }) => {
            format!("Talet får inte vara större än {}.", n(*max))
        }
        (Lang::En, Problem::AboveMax { max }) => {
            format!("The number cannot be more than {}.", n(*max))
        }
        (Lang::Sv, Problem::NotAMonth) => "Skriv år och månad som 2026-03.".into(),
        (Lang::En, Problem::NotAMonth) => "Write year and month as 2026-03.".into(),
        (Lang::Sv, Problem::SpecialAndValue) => {
            "Ge antingen ett svar eller välj Vet ej / Ej aktuellt, inte båda.".into()
        }
        (Lang::En, Problem::SpecialAndValue) => {
            "Either give an answer or choose Don't know / Not applicable, not both.".into()
        }
        (Lang::Sv, Problem::PartExceedsWhole { .. }) => {
            format!("Talet kan inte vara större än totalen ({whole}).")
        }
        (Lang::En, Problem::PartExceedsWhole { .. }) => {
            format!("The number cannot be larger than the total ({whole}).")
        }
        (Lang::Sv, Problem::PartsExceedWhole { sum, total, .. }) => format!(
            "Delarna blir tillsammans {}, vilket är mer än totalen {} ({whole}).",
            n(*sum),
            n(*total)
        ),
        (Lang::En, Problem::PartsExceedWhole { sum, total, .. }) => format!(
            "Together the parts add up to {}, which is more than the total {} ({whole}).",
            n(*sum),
            n(*total)
        ),
    }
}

/// The message for a problem with the form as a whole.
pub fn form_problem_message(problem: &FormProblem, lang: Lang) -> String {
    match (lang, problem) {
        (Lang::Sv, FormProblem::InvalidUtf8) => {
            "Några tecken i det du skickade kunde inte läsas och har bytts ut. Kontrollera dina svar.".into()
        }
        (Lang::En, FormProblem::InvalidUtf8) => {
            "Some characters in what you sent could not be read and were replaced. Check your answers.".into()
        }
        (Lang::Sv, FormProblem::TooManyFields) => "Formuläret innehöll för många fält. Kontrollera dina svar.".into(),
        (Lang::En, FormProblem::TooManyFields) => "The form had too many fields. Check your answers.".into(),
        (Lang::Sv, FormProblem::UnknownField(name)) => {
            format!("Formuläret innehöll ett fält som inte hör till den här sidan ({name}). Kontrollera dina svar.")
        }
        (Lang::En, FormProblem::UnknownField(name)) => {
            format!("The form had a field that does not belong to this page ({name}). Check your answers.")
        }
        (Lang::Sv, FormProblem::BadSection | FormProblem::BadAction) => {
            "Sidan du skickade stämde inte med enkäten. Kontrollera svaren här och fortsätt.".into()
        }
        (Lang::En, FormProblem::BadSection | FormProblem::BadAction) => {
            "The page you sent did not match the survey. Check the answers here and go on.".into()
        }
    }
}
