#pragma once
// roundlab-cli report: a session as an HTML or PDF report; and the application object each
// command runs under (the report draws text and writes PDFs, so it needs a QGuiApplication).
#include <QCoreApplication>
#include <QStringList>

#include <memory>

namespace roundlab::cli {

int runReport(const QStringList& args);

// A QGuiApplication for `report` — on the offscreen platform when no display is set
// (QT_QPA_PLATFORM unset, no DISPLAY or WAYLAND_DISPLAY) — and a QCoreApplication for every other command.
std::unique_ptr<QCoreApplication> makeApplication(int& argc, char** argv);

}  // namespace roundlab::cli
