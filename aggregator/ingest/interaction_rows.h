// An interaction entry as a row of the interactions staging table: its
// source, medium and campaign classified from the landing URL and referrer
// the client put in its metadata.
#pragma once

#include "stream_entry.h"

#include <jansson.h>

#include <string>

namespace analytics::ingest {

// the columns of the interactions table, in the order of the row
extern const char *const kInteractionColumns;

// metadata: the entry's parsed metadata object. The landing URL is the first
// string of url, page_url, landing_page; the referrer of referrer, referer.
void append_interaction_row(std::string &rows, const analytics_stream_event &event, json_t *metadata);

}  // namespace analytics::ingest
