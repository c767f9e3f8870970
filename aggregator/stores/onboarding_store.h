// What funnel/track recorded per token subject (onboarding_steps and
// onboarding_subjects): one subject's progress, and a tenant's completion of
// each step over the subjects who started in a range.
#pragma once

#include "postgres/connection.h"

#include <optional>
#include <string>
#include <vector>

namespace analytics::onboarding {

struct StepDone {
    std::string step;
    std::string first_at;   // RFC 3339
};

struct SubjectProgress {
    std::string subject;
    std::vector<StepDone> steps;   // in the order they were first done
    std::optional<std::string> domain_path;
    std::optional<bool> closed_early;
    std::string updated_at;
};

// nullopt when funnel/track never saw the subject
std::optional<SubjectProgress> progress_of(postgres::Connection &db, long long tenant_id, const std::string &subject);

struct StepCompletion {
    std::string step;
    long long completed = 0;                      // subjects of the cohort who did it
    std::optional<std::string> first_at, last_at;  // the earliest and latest first time
};

struct Completion {
    long long subjects = 0;       // the cohort: who started in the range
    long long closed_early = 0;
    long long buy_new = 0, already_have = 0, skipped = 0;   // their domain_path
    std::vector<StepCompletion> steps;   // each step any of them did, by name
};

// the cohort of subjects whose first step (or first call, without steps)
// falls in [since, until); either bound may be absent
Completion completion(postgres::Connection &db, long long tenant_id, const postgres::Param &since,
                      const postgres::Param &until);

}  // namespace analytics::onboarding
