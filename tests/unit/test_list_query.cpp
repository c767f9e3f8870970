// The SQL the stores build for a page of a list: one FROM ... WHERE for the
// total and the page, OFFSET and LIMIT after the filters, the API's sort
// fields as ORDER BY terms, and ILIKE patterns that match text literally.
#include "stores/list_query.h"

#include <string>

// last: cmocka's fail() macro would rewrite the standard library's
// headers; and Debian's cmocka.h declares C functions without extern "C"
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
extern "C" {
#include <cmocka.h>
}

using analytics::stores::ListQuery;
using analytics::stores::contains_pattern;
using analytics::stores::sort_terms;

namespace {

const std::map<std::string, std::string> kColumns = {
    {"name", "name"}, {"createdAt", "created_at"}, {"active", "c.active"}};

void test_count_and_page_share_the_filter(void **)
{
    ListQuery query{"id, name", " FROM things WHERE tenant_id = $1 AND ($2::text IS NULL OR name = $2)", "name, id"};
    assert_string_equal(query.count_sql().c_str(),
                        "SELECT count(*) FROM things WHERE tenant_id = $1 AND ($2::text IS NULL OR name = $2)");
    assert_string_equal(query.page_sql(2).c_str(),
                        "SELECT id, name FROM things WHERE tenant_id = $1 AND ($2::text IS NULL OR name = $2)"
                        " ORDER BY name, id OFFSET $3 LIMIT $4");
}

void test_page_parameters_follow_the_filters(void **)
{
    ListQuery query{"id", " FROM things", "id"};
    assert_string_equal(query.page_sql(0).c_str(), "SELECT id FROM things ORDER BY id OFFSET $1 LIMIT $2");
    assert_string_equal(query.page_sql(7).c_str(), "SELECT id FROM things ORDER BY id OFFSET $8 LIMIT $9");
}

void test_sort_fields_become_terms(void **)
{
    assert_string_equal(sort_terms("name", kColumns)->c_str(), "name ASC");
    assert_string_equal(sort_terms("-createdAt", kColumns)->c_str(), "created_at DESC");
    assert_string_equal(sort_terms("name,-createdAt,active", kColumns)->c_str(),
                        "name ASC, created_at DESC, c.active ASC");
}

void test_unknown_or_empty_sort_fields_are_refused(void **)
{
    assert_false(sort_terms("price", kColumns).has_value());
    assert_false(sort_terms("name,", kColumns).has_value());
    assert_false(sort_terms("", kColumns).has_value());
    assert_false(sort_terms("-", kColumns).has_value());
    assert_false(sort_terms("name;DROP TABLE things", kColumns).has_value());
    assert_false(sort_terms("--name", kColumns).has_value());
}

void test_contains_pattern_takes_wildcards_literally(void **)
{
    assert_string_equal(contains_pattern("spring").c_str(), "%spring%");
    assert_string_equal(contains_pattern("50%_off").c_str(), "%50\\%\\_off%");
    assert_string_equal(contains_pattern("a\\b").c_str(), "%a\\\\b%");
    assert_string_equal(contains_pattern("").c_str(), "%%");
}

}  // namespace

int main()
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_and_page_share_the_filter),
        cmocka_unit_test(test_page_parameters_follow_the_filters),
        cmocka_unit_test(test_sort_fields_become_terms),
        cmocka_unit_test(test_unknown_or_empty_sort_fields_are_refused),
        cmocka_unit_test(test_contains_pattern_takes_wildcards_literally),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
