//! Colours limited to the 16 ANSI ones, and a mono theme (NO_COLOR / --mono) that uses only
//! modifiers, so every meaning also survives without colour.

use super::fmt::Urgency;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Theme {
    pub mono: bool,
}

impl Theme {
    /// Mono when asked for, or when `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env(mono_flag: bool) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme {
            mono: mono_flag || no_color,
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.mono {
            Style::default()
        } else {
            Style::default().fg(c)
        }
    }

    pub fn urgency(&self, u: Urgency) -> Style {
        match u {
            Urgency::Expired => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Urgency::Soon => self.fg(Color::Yellow),
            Urgency::Fine => self.fg(Color::Green),
        }
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn bold(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn header(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn group(&self) -> Style {
        self.fg(Color::Blue).add_modifier(Modifier::BOLD)
    }
    pub fn label(&self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn dim(&self) -> Style {
        if self.mono {
            Style::default()
        } else {
            self.fg(Color::DarkGray)
        }
    }
    /// Frame of the list and details panes. Focus shows as heavy lines, which survive without
    /// colour; the lines themselves carry no style, so a list row scrolled in over a slow
    /// link costs no escape sequences for its two border cells.
    pub fn pane<'a>(&self, focused: bool, title: impl Into<ratatui::text::Line<'a>>) -> Block<'a> {
        let (kind, title_style) = if focused {
            (BorderType::Thick, self.border(true))
        } else {
            (BorderType::Plain, Style::default())
        };
        Block::default()
            .borders(Borders::ALL)
            .border_type(kind)
            .title(title)
            .title_style(title_style)
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        }
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn read_only(&self) -> Style {
        self.fg(Color::Magenta)
            .add_modifier(Modifier::BOLD | Modifier::REVERSED)
    }
}
