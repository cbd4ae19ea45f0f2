// roundlab-cli info: the layer table of a TorchScript model.
#include "app/cli/CliSupport.h"

namespace roundlab::cli {

namespace {

QString convText(const ConvAttributes& c) {
  auto list = [](const std::vector<int64_t>& v) { return QString::fromStdString(formatShape(v)); };
  QString s = "stride " + list(c.stride) + " pad " +
              (c.paddingString.empty() ? list(c.padding) : QString::fromStdString(c.paddingString)) + " dil " +
              list(c.dilation);
  if (c.groups > 1) s += " groups " + QString::number(c.groups) + (c.depthwise ? " (depthwise)" : "");
  return s;
}

}  // namespace

QJsonObject summaryToJson(const ModelSummary& s) {
  QJsonArray layers;
  for (const LayerInfo& l : s.layers) {
    QJsonObject o{{"name", QString::fromStdString(l.name)},
                  {"kind", layerKindName(l.kind)},
                  {"kind_text", QString::fromStdString(layerKindText(l))},
                  {"op", QString::fromStdString(l.op)},
                  {"weight_layout", l.weightTransposed ? "in,out" : "out,in"},
                  {"module_type", QString::fromStdString(l.moduleType)},
                  {"weight", QString::fromStdString(l.weightPath)},
                  {"weight_shape", toJsonArray(l.weightShape)},
                  {"params", static_cast<qint64>(l.params)},
                  {"bias", l.biasPath.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(l.biasPath))},
                  {"block", l.block.empty() ? QJsonValue() : QJsonValue(QString::fromStdString(l.block))},
                  {"call_sites", l.callSites}};
    if (!l.tiedWith.empty()) {
      QJsonArray tied;
      for (const std::string& t : l.tiedWith) tied.append(QString::fromStdString(t));
      o["tied_with"] = tied;
    }
    if (l.conv) {
      QJsonObject c{{"stride", toJsonArray(l.conv->stride)},
                    {"dilation", toJsonArray(l.conv->dilation)},
                    {"groups", static_cast<qint64>(l.conv->groups)},
                    {"depthwise", l.conv->depthwise}};
      c["padding"] = l.conv->paddingString.empty() ? QJsonValue(toJsonArray(l.conv->padding))
                                                   : QJsonValue(QString::fromStdString(l.conv->paddingString));
      o["conv"] = c;
    }
    layers.append(o);
  }
  QJsonArray blocks;
  for (const BlockInfo& b : s.blocks) {
    QJsonArray members;
    for (const auto& l : b.layers) members.append(QString::fromStdString(l));
    blocks.append(QJsonObject{
        {"name", QString::fromStdString(b.name)}, {"type", QString::fromStdString(b.moduleType)}, {"layers", members}});
  }
  QJsonArray notQuantized;
  for (const auto& p : s.notQuantized)
    notQuantized.append(QJsonObject{{"name", QString::fromStdString(p.name)},
                                    {"shape", toJsonArray(p.shape)},
                                    {"reason", QString::fromStdString(p.reason)}});
  QJsonArray dataflow;  // which layer's output each layer reads; "(input)" / "(output)": the model's
  for (const DataflowEdge& e : s.dataflow)
    dataflow.append(QJsonObject{{"from", QString::fromStdString(e.from)}, {"to", QString::fromStdString(e.to)}});
  return {{"model", QString::fromStdString(s.path)},
          {"root_type", QString::fromStdString(s.rootType)},
          {"total_params", static_cast<qint64>(s.totalParams)},
          {"quantizable_params", static_cast<qint64>(s.quantizableParams)},
          {"layers", layers},
          {"blocks", blocks},
          {"not_quantized", notQuantized},
          {"dataflow", dataflow}};
}

QString summaryToText(const ModelSummary& s) {
  QList<QStringList> rows;
  for (const LayerInfo& l : s.layers)
    rows << QStringList{
        QString::fromStdString(l.name),
        QString::fromStdString(layerKindText(l)),
        QString::fromStdString(formatShape(l.weightShape)) + (l.weightTransposed ? " (stored in×out)" : ""),
        QString::number(l.params),
        l.block.empty() ? "-" : QString::fromStdString(l.block),
        l.conv ? convText(*l.conv) : ""};
  QString out = QString("%1 (%2): %3 quantizable layers, %4 of %5 parameters, %6 blocks\n\n")
                    .arg(QString::fromStdString(s.path), QString::fromStdString(s.rootType))
                    .arg(s.layers.size())
                    .arg(s.quantizableParams)
                    .arg(s.totalParams)
                    .arg(s.blocks.size());
  out += formatTable({"layer", "kind", "weight", "params", "block", "conv"}, rows);
  if (!s.blocks.empty()) {
    QList<QStringList> brows;
    for (const BlockInfo& b : s.blocks)
      brows << QStringList{QString::fromStdString(b.name), QString::fromStdString(b.moduleType),
                           QString::number(b.layers.size())};
    out += "\n" + formatTable({"block", "type", "layers"}, brows);
  }
  if (!s.notQuantized.empty()) {
    QList<QStringList> nrows;
    for (const auto& p : s.notQuantized)
      nrows << QStringList{QString::fromStdString(p.name), QString::fromStdString(formatShape(p.shape)),
                           QString::fromStdString(p.reason)};
    out += "\nnot quantized:\n" + formatTable({"parameter", "shape", "reason"}, nrows);
  }
  return out;
}

int runInfo(const QStringList& args) {
  QCommandLineParser p;
  if (!parseCommand(p, args, "List the quantizable layers of a TorchScript model.", "MODEL.pt", "TorchScript model"))
    return 0;
  if (p.positionalArguments().size() != 1) throw UsageError{"expects exactly one MODEL.pt"};
  Workspace ws;
  loadModelArgument(ws, p);
  if (p.isSet("json"))
    printJson(summaryToJson(ws.summary()));
  else
    std::fputs(summaryToText(ws.summary()).toUtf8().constData(), stdout);
  return 0;
}

}  // namespace roundlab::cli
