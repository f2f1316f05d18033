// Readable text for demarche's own messages: event rows and details, party
// state sections, state summaries and state changes.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>
#include <vector>

#include "demarche/v1/event.pb.h"
#include "demarche/v1/state.pb.h"

namespace demarche::cli {

// "proposal", "aid:pledge", "response:reject", "correction:retract".
std::string MoveType(const v1::Move& m);
// "PRK→USA,JPN" (actors → recipients).
std::string PartiesText(const v1::Event& e);
// "2003-08-27" or "2003-08-27..2003-08-29" for a span.
std::string EventDate(const v1::Event& e);

// The event table: SEQ DATE PARTIES TYPE SUMMARY.
std::vector<std::string> EventHeaders();
std::vector<std::string> EventRow(const v1::Event& e);
// Fixed widths for event rows printed as a stream arrives.
const std::vector<size_t>& EventWidths();

// Everything about one event, for `show`.
std::string EventDetail(const v1::Event& e);

// One item of a party's state (a position, an offer, a flow, ...) as text;
// offers add their terms and conditions on indented lines.
std::string ItemText(const google::protobuf::Message& item);
// A party's state in sections; `name` is its roster name ("" if unknown).
std::string PartyStateText(const v1::PartyState& p, std::string_view name);
// "main as of 2004-05-23 — 43 events (last seq 43), day precision".
std::string StateSummary(const v1::ScenarioState& s);

// "+ aid_received: JPN: food grain — pledged 250,000 t" (or - / ~ with
// was/now lines), then the events that explain it; prefixed by the party when
// with_party.
std::string ChangeText(const v1::FieldChange& c, bool with_party);

// Indents every line of text by n spaces.
std::string Indent(std::string_view text, size_t n);

}  // namespace demarche::cli
