// Incoming events as rows of binary COPY (postgres::BinaryCopyRow) for the
// tables they land in: COPY table (columns) FROM STDIN (FORMAT binary).
#pragma once

#include "ingest/incoming_event.h"

#include <string>

namespace analytics::ingest {

// the column lists of the rows below, for COPY table (columns) FROM STDIN
extern const char *const kEventColumns;
extern const char *const kConversionColumns;
extern const char *const kInteractionColumns;

void append_event_row(std::string &rows, const IncomingEvent &event);
void append_conversion_row(std::string &rows, const IncomingEvent &event);   // kind conversion with a transaction
void append_interaction_row(std::string &rows, const IncomingEvent &event);  // kind interaction

}  // namespace analytics::ingest
