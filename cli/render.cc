#include "cli/render.h"

#include <fmt/format.h>

#include "cli/dates.h"
#include "cli/output.h"

namespace demarche::cli {

namespace pb = google::protobuf;

std::string MoveType(const v1::Move& m) {
  const pb::Reflection* r = m.GetReflection();
  const pb::FieldDescriptor* f =
      r->GetOneofFieldDescriptor(m, v1::Move::descriptor()->FindOneofByName("kind"));
  if (f == nullptr) return "?";
  const pb::Message& sub = r->GetMessage(m, f);
  if (m.has_correction() && m.correction().retract()) return "correction:retract";
  // The payload's first set enum says which kind of that move it is.
  const pb::Descriptor* d = sub.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* ef = d->field(i);
    if (ef->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM && !ef->is_repeated() &&
        sub.GetReflection()->GetEnumValue(sub, ef) != 0) {
      return f->name() + ":" + EnumName(sub.GetReflection()->GetEnum(sub, ef));
    }
  }
  return f->name();
}

std::string PartiesText(const v1::Event& e) {
  std::string s = Join(e.actor());
  if (e.recipients_size() > 0) s += "→" + Join(e.recipients());
  return s;
}

std::string EventDate(const v1::Event& e) {
  std::string d = FormatDate(e.occurred());
  if (e.has_occurred_end() && e.occurred_end().year() != 0) {
    d += ".." + FormatDate(e.occurred_end());
  }
  return d;
}

std::vector<std::string> EventHeaders() { return {"SEQ", "DATE", "PARTIES", "TYPE", "SUMMARY"}; }

std::vector<std::string> EventRow(const v1::Event& e) {
  return {fmt::format("{}", e.seq()), FormatDate(e.occurred()), PartiesText(e), MoveType(e.move()),
          e.summary()};
}

const std::vector<size_t>& EventWidths() {
  static const std::vector<size_t> kWidths = {5, 10, 20, 18};
  return kWidths;
}

std::string EventDetail(const v1::Event& e) {
  std::string out;
  auto line = [&](std::string_view k, const std::string& v) {
    if (!v.empty()) out += fmt::format("{:<10}{}\n", k, v);
  };
  line("event", e.id());
  line("seq", fmt::format("{} on {} ({})", e.seq(), e.branch(), e.scenario()));
  line("occurred", EventDate(e));
  line("parties", PartiesText(e));
  line("type", MoveType(e.move()));
  line("summary", e.summary());
  line("context", EnumName(v1::Context_descriptor()->FindValueByNumber(e.context())));
  out += "move:\n";
  DumpFields(e.move(), 2, &out);
  for (const auto& s : e.sources()) {
    out += fmt::format("source:   {}{}\n", s.document(),
                       s.locator().empty() ? "" : ", " + s.locator());
    if (!s.quote().empty()) out += fmt::format("          \"{}\"\n", s.quote());
    if (!s.url().empty()) out += fmt::format("          {}\n", s.url());
  }
  line("recorded", fmt::format("{} by {}", Time(e.recorded_at()), e.recorded_by()));
  line("hash", Hex(e.hash()));
  line("prev", Hex(e.prev_hash()));
  return out;
}

std::string Indent(std::string_view text, size_t n) {
  std::string out, pad(n, ' ');
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out += pad;
    out += text.substr(start, end - start);
    out += '\n';
    start = end + 1;
  }
  return out;
}

namespace {

std::string OfferStatus(const v1::Offer& o) {
  std::vector<std::string> bits;
  bool acc = o.status() == v1::ITEM_STATUS_ACCEPTED && o.accepted_by_size() > 0;
  bool rej = o.status() == v1::ITEM_STATUS_REJECTED && o.rejected_by_size() > 0;
  if (o.status() == v1::ITEM_STATUS_SUPERSEDED && !o.status_event_id().empty()) {
    bits.push_back("superseded by " + o.status_event_id());
  } else if (!acc && !rej) {
    bits.push_back(EnumName(v1::ItemStatus_descriptor()->FindValueByNumber(o.status())));
  }
  if (o.accepted_by_size() > 0) bits.push_back("accepted by " + Join(o.accepted_by()));
  if (o.rejected_by_size() > 0) bits.push_back("rejected by " + Join(o.rejected_by()));
  return fmt::format("{}", fmt::join(bits, "; "));
}

std::string OfferText(const v1::Offer& o) {
  std::string s = fmt::format("[{}] {} — {}", OfferStatus(o), o.title(), Join(o.makers()));
  if (o.addressees_size() > 0) s += "→" + Join(o.addressees());
  s += fmt::format("  ({}, {})", FormatDate(o.made()), o.event_id());
  for (const auto& t : o.terms()) s += "\n  · " + TermText(t);
  for (const auto& c : o.conditions()) s += "\n  if " + c;
  for (const auto& t : o.in_return()) s += "\n  in return · " + TermText(t);
  return s;
}

std::string Since(const v1::PartialDate& d, const std::string& id) {
  return fmt::format("(since {}, {})", FormatDate(d), id);
}

}  // namespace

std::string ItemText(const pb::Message& item) {
  if (auto* p = dynamic_cast<const v1::Position*>(&item)) {
    return fmt::format("{}: {}{}  {}", p->issue(),
                       EnumName(v1::Stance_descriptor()->FindValueByNumber(p->stance())),
                       p->position().empty() ? "" : " — " + p->position(),
                       Since(p->since(), p->event_id()));
  }
  if (auto* o = dynamic_cast<const v1::Offer*>(&item)) return OfferText(*o);
  if (auto* a = dynamic_cast<const v1::AgreementState*>(&item)) {
    std::string s = fmt::format(
        "{}: {} — {}  (signed {}", a->title().empty() ? a->agreement() : a->title(),
        a->in_force() ? "in force" : "defunct", Join(a->parties()), FormatDate(a->signed_()));
    if (a->ended().year() != 0) s += ", ended " + FormatDate(a->ended());
    s += ")";
    for (const auto& t : a->terms()) s += "\n  · " + TermText(t);
    return s;
  }
  if (auto* f = dynamic_cast<const v1::Flow*>(&item)) {
    std::string amount = "amount not given";
    if (f->pledged() > 0) {
      amount = fmt::format("pledged {} {}, delivered {} {}", Quantity(f->pledged()), f->unit(),
                           Quantity(f->delivered()), f->unit());
    } else if (f->delivered() > 0) {
      amount = fmt::format("delivered {} {}", Quantity(f->delivered()), f->unit());
    }
    return fmt::format("{}: {} — {}  ({})", f->counterpart(), f->commodity(), amount,
                       Join(f->event_ids(), ", "));
  }
  if (auto* s = dynamic_cast<const v1::SanctionState*>(&item)) {
    return fmt::format("{}: {} on {}{}  {}", s->measure(), Join(s->imposers()), Join(s->targets()),
                       s->description().empty() ? "" : " — " + s->description(),
                       Since(s->since(), s->event_id()));
  }
  if (auto* r = dynamic_cast<const v1::Relation*>(&item)) {
    auto q = [&](int i) { return i < r->quad_counts_size() ? r->quad_counts(i) : 0u; };
    return fmt::format("{}: score {:+.1f}, {} events (coop {}/{}, conflict {}/{}), last {}{}",
                       r->counterpart(), r->score(), r->events(), q(0), q(1), q(2), q(3),
                       FormatDate(r->last_contact()),
                       r->direct_channel() ? ", direct channel" : "");
  }
  if (auto* f = dynamic_cast<const v1::ForumState*>(&item)) {
    return fmt::format("{}  {}", f->forum(), Since(f->since(), f->event_id()));
  }
  return ToJson(item);
}

std::string PartyStateText(const v1::PartyState& p, std::string_view name) {
  std::string out = name.empty() ? p.party() : fmt::format("{} — {}", p.party(), name);
  out += "\n";
  const pb::Reflection* r = p.GetReflection();
  const pb::Descriptor* d = p.GetDescriptor();
  // Sections in .proto order; empty ones are left out.
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (!f->is_repeated() || r->FieldSize(p, f) == 0) continue;
    std::string heading = f->name();
    for (char& c : heading) c = c == '_' ? ' ' : c;
    out += "  " + heading + "\n";
    for (int k = 0; k < r->FieldSize(p, f); ++k) {
      out += f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE
                 ? Indent(ItemText(r->GetRepeatedMessage(p, f, k)), 4)
                 : Indent(r->GetRepeatedString(p, f, k), 4);
    }
  }
  return out;
}

std::string StateSummary(const v1::ScenarioState& s) {
  std::string when = s.as_of().year() != 0 ? "as of " + FormatDate(s.as_of()) : "at its head";
  if (s.known_at() != 0) when += fmt::format(", known at seq {}", s.known_at());
  std::string out = fmt::format("{} {} — {} events (last seq {})", s.branch(), when,
                                s.events_applied(), s.last_seq());
  if (!s.precision().empty()) out += fmt::format(", {} precision", s.precision());
  return out;
}

namespace {

// The before/after JSON of a change as readable text, via the item's type.
std::string ChangeItem(const std::string& field, const std::string& json) {
  const pb::FieldDescriptor* f = v1::PartyState::descriptor()->FindFieldByName(field);
  if (f == nullptr) return json;
  if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    // A JSON string (an event id in concessions): drop the quotes.
    bool quoted = json.size() >= 2 && json.front() == '"' && json.back() == '"';
    return quoted ? json.substr(1, json.size() - 2) : json;
  }
  std::unique_ptr<pb::Message> item(
      pb::MessageFactory::generated_factory()->GetPrototype(f->message_type())->New());
  std::string why;
  if (!FromJson(json, item.get(), &why)) return json;
  return ItemText(*item);
}

// "label" then text, its continuation lines lined up under the text.
std::string Hanging(std::string_view label, const std::string& text) {
  std::string body = Indent(text, DisplayWidth(label));
  body.erase(0, DisplayWidth(label));
  if (!body.empty() && body.back() == '\n') body.pop_back();
  return std::string(label) + body;
}

}  // namespace

std::string ChangeText(const v1::FieldChange& c, bool with_party) {
  std::string head = with_party ? c.party() + " " + c.field() : c.field();
  std::string out;
  if (c.before().empty()) {
    out = Hanging("+ " + head + ": ", ChangeItem(c.field(), c.after()));
  } else if (c.after().empty()) {
    out = Hanging("- " + head + ": ", ChangeItem(c.field(), c.before()));
  } else {
    std::string was = ChangeItem(c.field(), c.before()), now = ChangeItem(c.field(), c.after());
    // Details (an offer's terms) that did not change are shown once, under "now".
    size_t wn = was.find('\n'), nn = now.find('\n');
    if (wn != std::string::npos && nn != std::string::npos && was.substr(wn) == now.substr(nn)) {
      was.resize(wn);
    }
    out = fmt::format("~ {} {}\n{}\n{}", head, c.key(), Hanging("  was: ", was),
                      Hanging("  now: ", now));
  }
  if (c.event_ids_size() > 0) out += "\n  ← " + Join(c.event_ids(), ", ");
  return out;
}

}  // namespace demarche::cli
