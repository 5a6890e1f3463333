//! The DynamoDB store: one table. Implemented in a later step.
