#pragma once
// The log console: timestamped messages with a level, filtered by minimum level and by a search
// text, saved to a file on request. Messages are kept in full; the filter only hides.
#include <QDateTime>
#include <QString>
#include <QWidget>

#include <vector>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;

namespace roundlab::widgets {

class LogConsole : public QWidget {
  Q_OBJECT
 public:
  enum Level { Debug, Info, Warning, Error };
  struct Entry {
    QDateTime time;
    Level level;
    QString text;
  };

  explicit LogConsole(QWidget* parent = nullptr);

  void log(Level level, const QString& text);
  const std::vector<Entry>& entries() const { return entries_; }
  // What the console shows now (after the level and search filters), one entry per line.
  QString visibleText() const;
  // Writes every entry (unfiltered); false with the reason on failure.
  bool saveTo(const QString& path, QString* error = nullptr) const;
  QComboBox* levelBox() const { return level_; }
  QLineEdit* searchBox() const { return search_; }

  static QString levelName(Level l);

 private:
  void refilter();
  bool visible(const Entry& e) const;
  static QString format(const Entry& e);
  std::vector<Entry> entries_;
  QPlainTextEdit* text_;
  QComboBox* level_;
  QLineEdit* search_;
};

}  // namespace roundlab::widgets
