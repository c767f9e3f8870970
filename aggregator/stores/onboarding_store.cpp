#include "stores/onboarding_store.h"

namespace analytics::onboarding {
namespace {

// the subjects who started in [$2, $3): their first step's time, or their
// first call's when they tracked no step
constexpr const char *kCohort =
    "WITH cohort AS (SELECT o.subject, o.domain_path, o.closed_early FROM onboarding_subjects o"
    " LEFT JOIN LATERAL (SELECT min(s.first_at) AS started FROM onboarding_steps s"
    " WHERE s.tenant_id = o.tenant_id AND s.subject = o.subject) f ON true"
    " WHERE o.tenant_id = $1 AND ($2::timestamptz IS NULL OR coalesce(f.started, o.updated_at) >= $2)"
    " AND ($3::timestamptz IS NULL OR coalesce(f.started, o.updated_at) < $3)) ";

}  // namespace

std::optional<SubjectProgress> progress_of(postgres::Connection &db, long long tenant_id, const std::string &subject)
{
    auto state = db.exec("SELECT domain_path, closed_early::text, rfc3339(updated_at) FROM onboarding_subjects"
                         " WHERE tenant_id = $1 AND subject = $2",
                         {std::to_string(tenant_id), subject});
    if (state.rows() == 0) return std::nullopt;
    SubjectProgress progress{subject, {}, state.optional_text(0, 0), std::nullopt, std::string(state.text(0, 2))};
    if (auto closed = state.optional_text(0, 1)) progress.closed_early = *closed == "true";
    auto steps = db.exec("SELECT step, rfc3339(first_at) FROM onboarding_steps WHERE tenant_id = $1 AND subject = $2"
                         " ORDER BY first_at, step",
                         {std::to_string(tenant_id), subject});
    for (int i = 0; i < steps.rows(); i++) {
        progress.steps.push_back({std::string(steps.text(i, 0)), std::string(steps.text(i, 1))});
    }
    return progress;
}

Completion completion(postgres::Connection &db, long long tenant_id, const postgres::Param &since,
                      const postgres::Param &until)
{
    std::vector<postgres::Param> params{std::to_string(tenant_id), since, until};
    auto totals = db.exec(std::string(kCohort)
                              + "SELECT count(*), count(*) FILTER (WHERE closed_early),"
                                " count(*) FILTER (WHERE domain_path = 'buy_new'),"
                                " count(*) FILTER (WHERE domain_path = 'already_have'),"
                                " count(*) FILTER (WHERE domain_path = 'skipped') FROM cohort",
                          params);
    Completion report{totals.integer(0, 0), totals.integer(0, 1), totals.integer(0, 2), totals.integer(0, 3),
                      totals.integer(0, 4), {}};
    auto steps = db.exec(std::string(kCohort)
                             + "SELECT s.step, count(*), rfc3339(min(s.first_at)), rfc3339(max(s.first_at))"
                               " FROM onboarding_steps s JOIN cohort c ON c.subject = s.subject"
                               " WHERE s.tenant_id = $1 GROUP BY s.step ORDER BY s.step",
                         params);
    for (int i = 0; i < steps.rows(); i++) {
        report.steps.push_back({std::string(steps.text(i, 0)), steps.integer(i, 1), steps.optional_text(i, 2),
                                steps.optional_text(i, 3)});
    }
    return report;
}

}  // namespace analytics::onboarding
