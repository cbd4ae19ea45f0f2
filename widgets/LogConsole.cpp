#include "widgets/LogConsole.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QVBoxLayout>

namespace roundlab::widgets {

LogConsole::LogConsole(QWidget* parent)
    : QWidget(parent), text_(new QPlainTextEdit), level_(new QComboBox), search_(new QLineEdit) {
  text_->setReadOnly(true);
  text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  level_->setObjectName("logLevel");
  search_->setObjectName("logSearch");
  for (Level l : {Debug, Info, Warning, Error}) level_->addItem(levelName(l), l);
  level_->setCurrentIndex(Info);
  level_->setToolTip("Show messages of this level and above");
  search_->setPlaceholderText("Search the log…");
  search_->setClearButtonEnabled(true);
  auto* save = new QPushButton("Save…");
  save->setToolTip("Save the whole log (all levels) to a text file");
  connect(level_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { refilter(); });
  connect(search_, &QLineEdit::textChanged, this, [this] { refilter(); });
  connect(save, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, "Save log", "roundlab.log", "Text (*.log *.txt)");
    if (!path.isEmpty()) saveTo(path);
  });
  auto* bar = new QHBoxLayout;
  bar->addWidget(level_);
  bar->addWidget(search_, 1);
  bar->addWidget(save);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  layout->addLayout(bar);
  layout->addWidget(text_, 1);
}

QString LogConsole::levelName(Level l) {
  switch (l) {
    case Debug:
      return "debug";
    case Info:
      return "info";
    case Warning:
      return "warning";
    case Error:
      return "error";
  }
  return "?";
}

QString LogConsole::format(const Entry& e) {
  return QString("%1 %2 %3").arg(e.time.toString("HH:mm:ss"), levelName(e.level).leftJustified(7), e.text);
}

bool LogConsole::visible(const Entry& e) const {
  return e.level >= level_->currentData().toInt() &&
         (search_->text().isEmpty() || e.text.contains(search_->text(), Qt::CaseInsensitive));
}

void LogConsole::log(Level level, const QString& text) {
  entries_.push_back({QDateTime::currentDateTime(), level, text});
  if (visible(entries_.back())) text_->appendPlainText(format(entries_.back()));
}

void LogConsole::refilter() {
  text_->setPlainText(visibleText());
  text_->moveCursor(QTextCursor::End);
}

QString LogConsole::visibleText() const {
  QStringList lines;
  for (const Entry& e : entries_)
    if (visible(e)) lines << format(e);
  return lines.join('\n');
}

bool LogConsole::saveTo(const QString& path, QString* error) const {
  QSaveFile f(path);  // atomic: an existing log is replaced only by a complete one
  if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) {
    if (error) *error = f.errorString();
    return false;
  }
  for (const Entry& e : entries_) f.write((format(e) + '\n').toUtf8());
  if (!f.commit()) {
    if (error) *error = f.errorString();
    return false;
  }
  return true;
}

}  // namespace roundlab::widgets
