#include "replay/diff.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <string>

#include "google/protobuf/wrappers.pb.h"
#include "replay/items.h"

namespace demarche::replay {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// key -> item of one keyed list; strings are wrapped as StringValue.
std::map<std::string, const Message*> Items(const v1::PartyState& party, const FieldDescriptor* fd,
                                            std::deque<google::protobuf::StringValue>* strings) {
  std::map<std::string, const Message*> items;
  const google::protobuf::Reflection* r = party.GetReflection();
  const int n = r->FieldSize(party, fd);
  for (int i = 0; i < n; ++i) {
    const Message* item = nullptr;
    if (fd->type() == FieldDescriptor::TYPE_MESSAGE) {
      item = &r->GetRepeatedMessage(party, fd, i);
    } else {
      strings->emplace_back().set_value(r->GetRepeatedString(party, fd, i));
      item = &strings->back();
    }
    items.emplace(ItemKey(fd->number(), *item), item);
  }
  return items;
}

std::vector<std::string> Explaining(int field, const Message* before, const Message* after) {
  std::set<std::string> b, a;
  if (before != nullptr)
    for (std::string& id : ItemEventIds(field, *before)) b.insert(std::move(id));
  if (after != nullptr)
    for (std::string& id : ItemEventIds(field, *after)) a.insert(std::move(id));
  std::vector<std::string> ids;
  std::set_symmetric_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(ids));
  if (ids.empty()) std::set_union(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(ids));
  return ids;
}

}  // namespace

v1::StateDiff Diff(const v1::ScenarioState& a, const v1::ScenarioState& b) {
  v1::StateDiff out;
  *out.mutable_a() = a;
  *out.mutable_b() = b;
  out.mutable_a()->clear_parties();
  out.mutable_b()->clear_parties();

  std::map<std::string, std::pair<const v1::PartyState*, const v1::PartyState*>> parties;
  for (const v1::PartyState& p : a.parties()) parties[p.party()].first = &p;
  for (const v1::PartyState& p : b.parties()) parties[p.party()].second = &p;

  const google::protobuf::Descriptor* desc = v1::PartyState::descriptor();
  for (const auto& [code, sides] : parties) {
    const v1::PartyState& pa = sides.first ? *sides.first : v1::PartyState::default_instance();
    const v1::PartyState& pb = sides.second ? *sides.second : v1::PartyState::default_instance();
    for (int i = 0; i < desc->field_count(); ++i) {
      const FieldDescriptor* fd = desc->field(i);
      if (!fd->is_repeated()) continue;
      std::deque<google::protobuf::StringValue> strings;
      const auto before = Items(pa, fd, &strings);
      const auto after = Items(pb, fd, &strings);
      std::set<std::string> keys;
      for (const auto& [k, item] : before) keys.insert(k);
      for (const auto& [k, item] : after) keys.insert(k);
      for (const std::string& key : keys) {
        auto x = before.find(key);
        auto y = after.find(key);
        const Message* bx = x == before.end() ? nullptr : x->second;
        const Message* ay = y == after.end() ? nullptr : y->second;
        if (bx != nullptr && ay != nullptr && ItemBytes(*bx) == ItemBytes(*ay)) continue;
        *out.add_changes() =
            MakeChange(code, fd->number(), key, bx, ay, Explaining(fd->number(), bx, ay));
      }
    }
  }
  return out;
}

}  // namespace demarche::replay
