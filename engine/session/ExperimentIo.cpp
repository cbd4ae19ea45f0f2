#include "engine/session/ExperimentIo.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "engine/core/Error.h"
#include "engine/io/Hdf5Io.h"
#include "engine/session/RequestIo.h"

namespace roundlab {

namespace {

std::string joinLines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text += (text.empty() ? "" : "\n") + l;
  return text;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

uint64_t seedValue(const ExperimentRecord& e, const std::string& text) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || *end != '\0' ||
      v > static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()))
    throw Error(ErrorCode::BadDataFile,
                "experiment " + std::to_string(e.number) + " has a seed that is no number: '" + text + "'");
  return v;
}

// What the views and tables rely on: each cell's settings fit its plan's kind.
void checkShape(const ExperimentRecord& e) {
  const ExperimentPlan& p = e.plan;
  auto bad = [&](const std::string& what) {
    throw Error(ErrorCode::BadDataFile, "experiment " + std::to_string(e.number) + " is damaged: " + what);
  };
  const size_t axes = p.kind == ExperimentKind::Sweep ? 1 : p.kind == ExperimentKind::Grid ? 2 : 0;
  if (axes && p.axes.size() != axes) bad("it has " + std::to_string(p.axes.size()) + " axes");
  if (p.kind == ExperimentKind::Pareto && p.axes.size() != 1) bad("a Pareto measurement has one axis");
  for (const ExperimentCell& c : p.cells) {
    if (axes) {
      bool fits = c.settings.size() == axes;
      for (size_t a = 0; fits && a < axes; ++a) fits = c.settings[a].first == p.axes[a];
      if (!fits) bad("cell " + c.label() + " does not set its axes");
    } else if (p.kind == ExperimentKind::Pareto) {
      if (c.settings.size() != 1 || c.settings[0].first != "bits") bad("a Pareto cell sets one allocation");
    } else if (std::find(p.axes.begin(), p.axes.end(), c.group) == p.axes.end()) {
      bad("cell " + c.label() + " is in no axis group");
    }
  }
  for (const ExperimentRow& r : e.rows)
    if (r.cell >= p.cells.size()) bad("a row names a cell it does not have");
}

}  // namespace

void writeExperiment(H5::Group& parent, const ExperimentRecord& e) {
  using namespace hdf5;
  H5::Group g = parent.createGroup(std::to_string(e.number));
  writeInt(g, "number", e.number);
  writeString(g, "kind", experimentKindName(e.plan.kind));
  writeString(g, "title", e.plan.title);
  writeString(g, "axes", joinLines(e.plan.axes));
  writeInt(g, "cell_count", static_cast<int64_t>(e.plan.cells.size()));
  if (!e.plan.seeds.empty()) {
    std::vector<std::string> seeds;
    for (const uint64_t s : e.plan.seeds) seeds.push_back(std::to_string(s));
    writeString(g, "seeds", joinLines(seeds));
  }
  H5::Group request = g.createGroup("request");
  writeRequest(request, e.plan.base);
  H5::Group cells = g.createGroup("cells");
  for (size_t i = 0; i < e.plan.cells.size(); ++i) {
    const ExperimentCell& cell = e.plan.cells[i];
    H5::Group c = cells.createGroup(std::to_string(i));
    writeString(c, "group", cell.group);
    if (!cell.title.empty()) writeString(c, "title", cell.title);
    if (cell.seeded) writeInt(c, "seed", static_cast<int64_t>(cell.seed));
    std::vector<std::string> settings;
    for (const auto& [axis, value] : cell.settings) settings.push_back(axis + "=" + value);
    writeString(c, "settings", joinLines(settings));
    const ExperimentRow* row = e.row(i);
    writeInt(c, "finished", row != nullptr);
    if (!row) continue;
    writeInt(c, "evaluated", row->evaluated);
    writeInt(c, "compared", row->compared);
    writeDouble(c, "top1", row->top1);
    writeDouble(c, "kl", row->kl);
    writeDouble(c, "agreement", row->agreement);
    if (row->languageModel) {
      writeDouble(c, "lm_loss", row->loss);
      writeDouble(c, "lm_loss_fp", row->lossFp);
    }
    writeDouble(c, "loss_before", row->meanLossBefore);
    writeDouble(c, "loss_after", row->meanLossAfter);
    writeDouble(c, "wall_s", row->seconds);
  }
}

std::vector<ExperimentRecord> readExperiments(const H5::Group& parent) {
  using namespace hdf5;
  std::vector<ExperimentRecord> out;
  for (hsize_t i = 0; i < parent.getNumObjs(); ++i) {
    const H5::Group g = parent.openGroup(parent.getObjnameByIdx(i));
    ExperimentRecord e;
    e.number = static_cast<int>(readInt(g, "number"));
    e.plan.kind = parseExperimentKind(readString(g, "kind"));
    e.plan.title = readString(g, "title");
    e.plan.axes = splitLines(readString(g, "axes"));
    e.plan.base = readRequest(g.openGroup("request"));
    if (g.attrExists("seeds"))  // sessions before seeded experiments have none
      for (const std::string& s : splitLines(readString(g, "seeds"))) e.plan.seeds.push_back(seedValue(e, s));
    const H5::Group cells = g.openGroup("cells");
    const int64_t count = readInt(g, "cell_count");
    if (count < 0 || count != static_cast<int64_t>(cells.getNumObjs()))
      throw Error(ErrorCode::BadDataFile, "experiment " + std::to_string(e.number) + " is missing cells");
    for (int64_t c = 0; c < count; ++c) {
      const H5::Group cg = cells.openGroup(std::to_string(c));
      ExperimentCell cell;
      cell.group = readString(cg, "group");
      if (cg.attrExists("title")) cell.title = readString(cg, "title");
      if (cg.attrExists("seed")) {
        const int64_t seed = readInt(cg, "seed");
        if (seed < 0)
          throw Error(ErrorCode::BadDataFile, "experiment " + std::to_string(e.number) + " has a negative seed");
        cell.seeded = true;
        cell.seed = static_cast<uint64_t>(seed);
      }
      for (const std::string& s : splitLines(readString(cg, "settings"))) {
        const size_t eq = s.find('=');
        if (eq == std::string::npos)
          throw Error(ErrorCode::BadDataFile, "experiment " + std::to_string(e.number) + " has a setting without '='");
        cell.settings.emplace_back(s.substr(0, eq), s.substr(eq + 1));
      }
      e.plan.cells.push_back(cell);
      if (!readInt(cg, "finished")) continue;
      ExperimentRow row;
      row.cell = static_cast<size_t>(c);
      row.evaluated = readInt(cg, "evaluated") != 0;
      row.compared = cg.attrExists("compared") ? readInt(cg, "compared") != 0 : row.evaluated;
      row.top1 = readDouble(cg, "top1");
      row.kl = readDouble(cg, "kl");
      row.agreement = readDouble(cg, "agreement");
      row.languageModel = cg.attrExists("lm_loss");  // sessions before language models have none
      if (row.languageModel) {
        row.loss = readDouble(cg, "lm_loss");
        row.lossFp = readDouble(cg, "lm_loss_fp");
      }
      row.meanLossBefore = readDouble(cg, "loss_before");
      row.meanLossAfter = readDouble(cg, "loss_after");
      row.seconds = readDouble(cg, "wall_s");
      e.rows.push_back(row);
    }
    checkShape(e);
    validate(e.plan);  // every cell makes a request
    for (const ExperimentRecord& other : out)
      if (other.number == e.number)
        throw Error(ErrorCode::BadDataFile, "two experiments are numbered " + std::to_string(e.number));
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return out;
}

}  // namespace roundlab
