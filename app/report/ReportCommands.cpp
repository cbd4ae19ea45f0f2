#include "app/report/ReportCommands.h"

#include <QRegularExpression>

#include <map>
#include <string>

#include "app/report/ReportContent.h"
#include "engine/pipeline/RequestFields.h"

namespace roundlab::report {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

// How a request field is given to `roundlab-cli quantize` (app/cli/QuantizeOptions.cpp).
// StopRule: always "--stop settled|fixed" (the CLI's default depends on the method); LayerTarget:
// "--layer-target activation" when set.
enum class Form { Value, FlagWhenTrue, FlagWhenFalse, ValueWhenSet, StopRule, LayerTarget };
struct Option {
  const char* option;
  Form form;
};

const std::map<std::string, Option>& optionsByField() {
  static const std::map<std::string, Option> options{
      {"method", {"--method", Form::Value}},
      {"wbits", {"--wbits", Form::Value}},
      {"symmetric", {"--symmetric", Form::FlagWhenTrue}},
      {"granularity", {"--granularity", Form::Value}},
      {"group_size", {"--group-size", Form::Value}},
      {"range_init", {"--range", Form::Value}},
      {"lp_norm", {"--p", Form::Value}},
      {"grid", {"--grid", Form::Value}},
      {"first_last_8bit", {"--no-first-last-8bit", Form::FlagWhenFalse}},
      {"iterations", {"--iters", Form::Value}},
      {"batch", {"--batch", Form::Value}},
      {"learning_rate", {"--lr", Form::Value}},
      {"lambda", {"--lambda", Form::Value}},
      {"warmup", {"--warmup", Form::Value}},
      {"optimizer", {"--optimizer", Form::Value}},
      {"cosine_lr", {"--cosine-lr", Form::FlagWhenTrue}},
      {"variable", {"--variable", Form::Value}},
      {"freedom", {"--freedom", Form::Value}},
      {"selection", {"--select", Form::Value}},
      {"select_fraction", {"--select-fraction", Form::Value}},
      {"input", {"--input", Form::Value}},
      {"block_loss", {"--block-loss", Form::Value}},
      {"calibration_count", {"--calib-count", Form::Value}},
      {"augmentation", {"--augment", Form::Value}},
      {"seed", {"--seed", Form::Value}},
      {"abits", {"--abits", Form::Value}},
      {"qdrop_probability", {"--qdrop-p", Form::ValueWhenSet}},  // negative: the method's default
      {"act_learning_rate", {"--act-lr", Form::Value}},
      {"output_kl_weight", {"--output-kl", Form::Value}},
      {"kl_temperature", {"--kl-temperature", Form::Value}},
      {"gptq_damping", {"--gptq-damping", Form::Value}},
      {"gptq_act_order", {"--gptq-act-order", Form::FlagWhenTrue}},
      {"embedding_bits", {"--embedding-bits", Form::Value}},
      {"stop_when_settled", {"--stop", Form::StopRule}},
      {"target_after_activation", {"--layer-target", Form::LayerTarget}},
  };
  return options;
}

QString floatList(const std::vector<float>& values) {
  QStringList out;
  for (float v : values) out << QString::number(static_cast<double>(v), 'g', 9);
  return out.join(',');
}

QString cli() { return "roundlab-cli"; }

// MODEL.pt --calib CALIB [--model-output N|KEY] [--eval DATA] and how the data are read.
QStringList inputs(const ReportContent& c) {
  QStringList words{c.modelPath, "--calib", c.calibrationPath};
  if (!c.modelOutput.isEmpty()) words << "--model-output" << c.modelOutput;
  if (!c.evaluationPath.isEmpty()) words << "--eval" << c.evaluationPath;
  return words + dataOptions(c.calibrationOptions);
}

// The axis values of a sweep or grid, in cell order without repeats.
QString axisValues(const ExperimentPlan& plan, size_t axis) {
  QStringList values;
  for (const ExperimentCell& cell : plan.cells)
    if (axis < cell.settings.size() && !values.contains(q(cell.settings[axis].second)))
      values << q(cell.settings[axis].second);
  return values.join(',');
}

}  // namespace

QString shellQuote(const QString& word) {
  static const QRegularExpression plain("^[A-Za-z0-9_@%+=:,./-]+$");
  if (plain.match(word).hasMatch()) return word;
  return "'" + QString(word).replace("'", "'\\''") + "'";
}

QString shellJoin(const QStringList& words, int width) {
  QStringList lines{QString()};
  for (int i = 0; i < words.size(); ++i) {
    const QString word = shellQuote(words[i]);
    // An option stays on the line of its value: a line breaks before a word that starts with "-".
    const bool option = word.startsWith('-'), last = i + 1 == words.size();
    const QString next =
        option && !last && !words[i + 1].startsWith('-') ? word + " " + shellQuote(words[i + 1]) : word;
    if (width > 0 && !lines.last().isEmpty() && lines.last().size() + 1 + next.size() + 2 > width) lines << "   ";
    lines.last() += (lines.last().trimmed().isEmpty() ? QString() : QString(" ")) + word;
  }
  return lines.join(" \\\n");
}

QStringList requestOptions(const QuantizationRequest& request) {
  const std::map<std::string, std::string> text = requestToText(request);
  QStringList words;
  for (const RequestField& f : requestFields()) {
    const auto it = optionsByField().find(f.key);
    if (it == optionsByField().end()) continue;
    const QString value = q(text.at(f.key));
    const Option& o = it->second;
    switch (o.form) {
      case Form::Value:
        words << o.option << value;
        break;
      case Form::FlagWhenTrue:
        if (value != "0") words << o.option;
        break;
      case Form::FlagWhenFalse:
        if (value == "0") words << o.option;
        break;
      case Form::ValueWhenSet:
        if (!value.startsWith('-')) words << o.option << value;
        break;
      case Form::StopRule:
        words << o.option << stopRuleName(value != "0");
        break;
      case Form::LayerTarget:
        if (value != "0") words << o.option << layerTargetName(true);
        break;
    }
  }
  for (const auto& [layer, bits] : request.bits) words << "--bits" << QString("%1=%2").arg(q(layer)).arg(bits);
  return words;
}

QString commandLineOption(const std::string& field) {
  const auto it = optionsByField().find(field);
  return it == optionsByField().end() ? QString() : QString(it->second.option);
}

QStringList settingsWithoutOption(const QuantizationRequest& request) {
  const std::map<std::string, std::string> text = requestToText(request);
  const std::map<std::string, std::string> defaults = requestToText(QuantizationRequest{});
  QStringList out;
  for (const RequestField& f : requestFields())
    if (!optionsByField().count(f.key) && text.at(f.key) != defaults.at(f.key))
      out << QString("%1=%2").arg(f.key, q(text.at(f.key)));
  return out;
}

QStringList dataOptions(const DataOptions& options) {
  QStringList words;
  if (options.normalization != Normalization::Auto)
    words << "--normalize" << normalizationTable().name(options.normalization);
  if (!options.mean.empty()) words << "--mean" << floatList(options.mean);
  if (!options.std.empty()) words << "--std" << floatList(options.std);
  if (!options.labelsPath.empty()) words << "--labels" << q(options.labelsPath);
  return words;
}

QString experimentCommand(const ReportContent& c, const ExperimentPlan& plan) {
  QStringList words{cli(), "experiment"};
  words << inputs(c);
  switch (plan.kind) {
    case ExperimentKind::Study:
      words << "--study";
      break;
    case ExperimentKind::Grid:
      words << "--axis" << q(plan.axes.at(0)) << "--values" << axisValues(plan, 0) << "--axis2" << q(plan.axes.at(1))
            << "--values2" << axisValues(plan, 1);
      break;
    case ExperimentKind::Sweep:
      words << "--axis" << q(plan.axes.at(0)) << "--values" << axisValues(plan, 0);
      break;
    case ExperimentKind::Pareto:  // measured by `allocate --pareto --measure`, from an importance table
      return {};
  }
  words << requestOptions(plan.base);
  if (!plan.seeds.empty()) {
    QStringList seeds;
    for (const uint64_t s : plan.seeds) seeds << QString::number(s);
    words << "--seeds" << seeds.join(',');
  }
  words << "--session"
        << "EXPERIMENT.rlab";
  return shellJoin(words, kCommandWidth);
}

ReproductionCommands reproductionCommands(const ReportContent& c) {
  ReproductionCommands out;
  if (!c.sessionPath.isEmpty()) out.rerun = shellJoin({cli(), "rerun", c.sessionPath}, kCommandWidth);
  out.quantize = shellJoin(QStringList{cli(), "quantize"} + inputs(c) + requestOptions(c.result.request) +
                               QStringList{"--session", "REPRODUCED.rlab"},
                           kCommandWidth);
  out.withoutOption = settingsWithoutOption(c.result.request);
  for (const ExperimentRecord& e : c.experiments)
    out.experiments << (!e.plan.axes.empty() || e.plan.kind == ExperimentKind::Study ? experimentCommand(c, e.plan)
                                                                                     : QString());
  return out;
}

}  // namespace roundlab::report
