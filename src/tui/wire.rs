//! A ratatui backend that writes the fewest bytes for each frame, for admins on slow links.
//!
//! ratatui's crossterm backend moves the cursor with an absolute position before every run of
//! changed cells, sets colours as 256-colour indices (`38;5;3` for yellow), one attribute per
//! escape sequence, and resets four things after every frame. Here the backend keeps a copy of
//! what the terminal shows, so it can pick the shortest way to each changed cell: a relative
//! move, a carriage return, or simply re-printing a few unchanged cells when that is shorter
//! than any move. Attributes and colours go out as one SGR sequence with the short ANSI codes.
//! Everything that is not drawing (size, clearing, flushing) is the crossterm backend's.

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier};
use std::fmt::Write as _;
use std::io::{self, Write};
use unicode_width::UnicodeWidthStr;

/// The graphic rendition the terminal is set to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Pen {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

impl Default for Pen {
    fn default() -> Self {
        Pen {
            fg: Color::Reset,
            bg: Color::Reset,
            underline: Color::Reset,
            modifier: Modifier::empty(),
        }
    }
}

impl Pen {
    fn of(cell: &Cell) -> Pen {
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            underline: cell.underline_color,
            modifier: cell.modifier,
        }
    }
}

pub struct WireBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// What the terminal shows, as far as we drew it; `None` when unknown (nothing is
    /// re-printed from it then).
    screen: Option<Buffer>,
    /// The first frame assumes a blank screen, as ratatui does.
    started: bool,
    /// For tests: a size instead of asking the terminal.
    fixed_size: Option<Size>,
    pen: Pen,
    /// Where the terminal's cursor is, when we know it.
    cursor: Option<Position>,
    cursor_shown: Option<bool>,
}

impl<W: Write> WireBackend<W> {
    pub fn new(writer: W) -> Self {
        WireBackend {
            inner: CrosstermBackend::new(writer),
            screen: None,
            started: false,
            fixed_size: None,
            pen: Pen::default(),
            cursor: None,
            cursor_shown: None,
        }
    }

    /// A backend for a terminal of a known size (tests, benchmarks).
    pub fn with_size(writer: W, width: u16, height: u16) -> Self {
        WireBackend {
            fixed_size: Some(Size { width, height }),
            ..Self::new(writer)
        }
    }

    /// Scroll lines `top..top + rows` (0-based) by `d` lines (up when positive) with a DECSTBM
    /// region and SU/SD, and update our copy of the screen the same way: the lines scrolled in
    /// are blank.
    pub fn scroll_lines(&mut self, top: u16, rows: u16, d: isize) -> io::Result<()> {
        let (n, dir) = (d.unsigned_abs(), if d > 0 { 'S' } else { 'T' });
        // Lines scrolled in take the current background: reset it first.
        let reset = if self.pen == Pen::default() {
            ""
        } else {
            "\x1b[0m"
        };
        self.pen = Pen::default();
        write!(
            self.inner,
            "{reset}\x1b[{};{}r\x1b[{}{dir}\x1b[r",
            top + 1,
            top + rows,
            if n == 1 { String::new() } else { n.to_string() }
        )?;
        // Setting the region homes the cursor on some terminals, not on others.
        self.cursor = None;
        if let Some(screen) = &mut self.screen {
            *screen = shift_rows(screen, top, rows, d);
        }
        Ok(())
    }

    fn blank_screen(&mut self) -> io::Result<()> {
        let size = self.size()?;
        self.screen = Some(Buffer::empty(Rect::new(0, 0, size.width, size.height)));
        self.started = true;
        self.cursor = None;
        Ok(())
    }

    /// Put `cell` at `at` in our copy of the screen. The columns a wide glyph covers, or covered
    /// before, are not ours to predict: they are marked unknown (never re-printed).
    fn record(&mut self, at: Position, cell: &Cell) {
        let Some(screen) = &mut self.screen else {
            return;
        };
        let unknown = |screen: &mut Buffer, x: u16| {
            if let Some(c) = screen.cell_mut((x, at.y)) {
                c.set_symbol("");
            }
        };
        // A wide glyph to the left that this cell cuts is never re-printed: wide cells never are.
        let old_width = screen.cell(at).map_or(1, |c| c.symbol().width());
        let width = cell.symbol().width();
        if let Some(c) = screen.cell_mut(at) {
            *c = cell.clone();
        }
        for dx in 1..old_width.max(width).max(1) as u16 {
            unknown(screen, at.x + dx);
        }
    }

    /// Take the cursor to `to`, where a cell in `pen` is drawn next: the shortest of an absolute
    /// move, relative moves, and re-printing the unchanged cells in between (in the current pen,
    /// or in `pen` when they have it, since that change is due anyway).
    fn move_to(&mut self, to: Position, pen: Pen, out: &mut String) {
        let Some(from) = self.cursor else {
            return absolute(to, out);
        };
        if from == to {
            return;
        }
        let mut best = String::new();
        absolute(to, &mut best);
        let mut rel = String::new();
        relative(from, to, &mut rel);
        if rel.len() < best.len() {
            best = rel;
        }
        if from.y == to.y && to.x > from.x {
            if let Some((cells, in_pen)) = self.reprint(from, to.x, pen, best.len()) {
                self.restyle(in_pen, out);
                best = cells;
            }
        }
        out.push_str(&best);
    }

    /// The unchanged cells from `from` up to column `to_x` and the pen they are in (the current
    /// one or `next`), when printing them is shorter than `limit` bytes.
    fn reprint(&self, from: Position, to_x: u16, next: Pen, limit: usize) -> Option<(String, Pen)> {
        let screen = self.screen.as_ref()?;
        let mut s = String::new();
        let mut pen = None;
        for x in from.x..to_x {
            let cell = screen.cell((x, from.y))?;
            let sym = cell.symbol();
            let p = *pen.get_or_insert(Pen::of(cell));
            if Pen::of(cell) != p
                || (p != self.pen && p != next)
                || cell.diff_option != CellDiffOption::None
                || sym.width() != 1
            {
                return None;
            }
            s.push_str(sym);
            if s.len() >= limit {
                return None;
            }
        }
        Some((s, pen?))
    }

    /// One SGR sequence from the current pen to `to`: either the changes alone, or a reset and
    /// everything `to` sets, whichever is shorter.
    fn restyle(&mut self, to: Pen, out: &mut String) {
        if to == self.pen {
            return;
        }
        let mut changes = Vec::new();
        let removed = self.pen.modifier - to.modifier;
        let mut add = to.modifier - self.pen.modifier;
        if removed.intersects(Modifier::BOLD | Modifier::DIM) {
            changes.push("22".to_string());
            add |= to.modifier & (Modifier::BOLD | Modifier::DIM);
        }
        for (m, off) in [
            (Modifier::ITALIC, "23"),
            (Modifier::UNDERLINED, "24"),
            (Modifier::SLOW_BLINK | Modifier::RAPID_BLINK, "25"),
            (Modifier::REVERSED, "27"),
            (Modifier::HIDDEN, "28"),
            (Modifier::CROSSED_OUT, "29"),
        ] {
            if removed.intersects(m) {
                changes.push(off.to_string());
                add |= to.modifier & m;
            }
        }
        changes.extend(modifier_codes(add));
        if to.fg != self.pen.fg {
            changes.push(color_code(to.fg, 30));
        }
        if to.bg != self.pen.bg {
            changes.push(color_code(to.bg, 40));
        }
        if to.underline != self.pen.underline {
            changes.push(underline_code(to.underline));
        }
        let mut reset = vec!["0".to_string()];
        reset.extend(modifier_codes(to.modifier));
        if to.fg != Color::Reset {
            reset.push(color_code(to.fg, 30));
        }
        if to.bg != Color::Reset {
            reset.push(color_code(to.bg, 40));
        }
        if to.underline != Color::Reset {
            reset.push(underline_code(to.underline));
        }
        let len = |v: &[String]| v.iter().map(|s| s.len() + 1).sum::<usize>();
        let params = if len(&reset) < len(&changes) {
            reset
        } else {
            changes
        };
        // `ESC [ m` is `ESC [ 0 m`.
        let params = params.join(";");
        let params = if params == "0" { "" } else { &params };
        let _ = write!(out, "\x1b[{params}m");
        self.pen = to;
    }
}

fn absolute(to: Position, out: &mut String) {
    let _ = match (to.x, to.y) {
        (0, 0) => write!(out, "\x1b[H"),
        (0, y) => write!(out, "\x1b[{}H", y + 1),
        (x, y) => write!(out, "\x1b[{};{}H", y + 1, x + 1),
    };
}

/// Vertical then horizontal relative moves; column 0 is a carriage return.
fn relative(from: Position, to: Position, out: &mut String) {
    let n = |d: u16| if d == 1 { String::new() } else { d.to_string() };
    let _ = match to.y.cmp(&from.y) {
        std::cmp::Ordering::Greater => write!(out, "\x1b[{}B", n(to.y - from.y)),
        std::cmp::Ordering::Less => write!(out, "\x1b[{}A", n(from.y - to.y)),
        std::cmp::Ordering::Equal => Ok(()),
    };
    let _ = if to.x == from.x {
        Ok(())
    } else if to.x == 0 {
        write!(out, "\r")
    } else if to.x > from.x {
        write!(out, "\x1b[{}C", n(to.x - from.x))
    } else {
        write!(out, "\x1b[{}D", n(from.x - to.x))
    };
}

fn modifier_codes(m: Modifier) -> impl Iterator<Item = String> {
    [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::SLOW_BLINK, "5"),
        (Modifier::RAPID_BLINK, "6"),
        (Modifier::REVERSED, "7"),
        (Modifier::HIDDEN, "8"),
        (Modifier::CROSSED_OUT, "9"),
    ]
    .into_iter()
    .filter(move |(f, _)| m.contains(*f))
    .map(|(_, c)| c.to_string())
}

/// SGR parameters for a foreground (`base` 30) or background (`base` 40) colour: the 16 ANSI
/// colours by their short codes, the palette entries the crossterm backend selects as indices
/// 0..15. (A terminal set to show bold as bright may brighten bold red or cyan given this way;
/// the theme's bold colours are alerts and titles, where brighter does no harm.)
fn color_code(c: Color, base: u8) -> String {
    let ansi = |i: u8| if i < 8 { base + i } else { base + 60 + i - 8 };
    match c {
        Color::Reset => (base + 9).to_string(),
        Color::Black => ansi(0).to_string(),
        Color::Red => ansi(1).to_string(),
        Color::Green => ansi(2).to_string(),
        Color::Yellow => ansi(3).to_string(),
        Color::Blue => ansi(4).to_string(),
        Color::Magenta => ansi(5).to_string(),
        Color::Cyan => ansi(6).to_string(),
        Color::Gray => ansi(7).to_string(),
        Color::DarkGray => ansi(8).to_string(),
        Color::LightRed => ansi(9).to_string(),
        Color::LightGreen => ansi(10).to_string(),
        Color::LightYellow => ansi(11).to_string(),
        Color::LightBlue => ansi(12).to_string(),
        Color::LightMagenta => ansi(13).to_string(),
        Color::LightCyan => ansi(14).to_string(),
        Color::White => ansi(15).to_string(),
        Color::Indexed(i) => format!("{};5;{i}", base + 8),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
    }
}

fn underline_code(c: Color) -> String {
    match c {
        Color::Reset => "59".to_string(),
        Color::Rgb(r, g, b) => format!("58;2;{r};{g};{b}"),
        other => {
            // The 16 named colours are indices 0..15 here: SGR 58 has no short codes.
            let idx = match other {
                Color::Indexed(i) => i,
                named => {
                    let fg = color_code(named, 30);
                    let n: u8 = fg.parse().unwrap_or(37);
                    if n >= 90 {
                        n - 90 + 8
                    } else {
                        n - 30
                    }
                }
            };
            format!("58;5;{idx}")
        }
    }
}

/// `buf` with lines `top..top+rows` moved up by `d` (down when negative), as a terminal does
/// it with a scroll region: the lines scrolled in are blank.
pub fn shift_rows(buf: &Buffer, top: u16, rows: u16, d: isize) -> Buffer {
    let mut out = buf.clone();
    let width = buf.area.width;
    for r in 0..rows {
        let src = r as isize + d;
        for x in 0..width {
            let cell = if (0..rows as isize).contains(&src) {
                buf[(buf.area.x + x, top + src as u16)].clone()
            } else {
                Cell::default()
            };
            out[(buf.area.x + x, top + r)] = cell;
        }
    }
    out
}

impl<W: Write> Backend for WireBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        if !self.started {
            self.blank_screen()?;
        }
        let mut out = String::new();
        for (x, y, cell) in content {
            let at = Position { x, y };
            let pen = Pen::of(cell);
            self.move_to(at, pen, &mut out);
            self.restyle(pen, &mut out);
            let sym = cell.symbol();
            out.push_str(sym);
            let width = match &self.screen {
                Some(s) => s.area.width,
                None => self.size()?.width,
            };
            // Only a one-column symbol away from the last column leaves the cursor where we can
            // tell: wide glyphs' widths vary between terminals, the last column defers the wrap.
            self.cursor =
                (sym.width() == 1 && cell.diff_option == CellDiffOption::None && x + 1 < width)
                    .then_some(Position { x: x + 1, y });
            self.record(at, cell);
        }
        if self.pen != Pen::default() {
            out.push_str("\x1b[0m");
            self.pen = Pen::default();
        }
        self.inner.write_all(out.as_bytes())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.cursor_shown != Some(false) {
            self.inner.hide_cursor()?;
            self.cursor_shown = Some(false);
        }
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.cursor_shown != Some(true) {
            self.inner.show_cursor()?;
            self.cursor_shown = Some(true);
        }
        Ok(())
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        // ratatui asks before every clear (a resize): when we know, no round trip to a
        // terminal at the far end of an SSH link.
        match (self.cursor, self.fixed_size) {
            (Some(p), _) => Ok(p),
            (None, Some(_)) => Ok(Position::ORIGIN),
            (None, None) => self.inner.get_cursor_position(),
        }
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let to = position.into();
        let mut out = String::new();
        // Only moves: the pen does not matter, so no re-printing of cells.
        match self.cursor {
            Some(from) if from == to => {}
            Some(from) => {
                let (mut a, mut r) = (String::new(), String::new());
                absolute(to, &mut a);
                relative(from, to, &mut r);
                out = if r.len() < a.len() { r } else { a };
            }
            None => absolute(to, &mut out),
        }
        self.inner.write_all(out.as_bytes())?;
        self.cursor = Some(to);
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()?;
        self.blank_screen()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)?;
        match clear_type {
            // What ratatui's `clear` (and so every resize) asks for: blank, at the new size.
            ClearType::All => self.blank_screen(),
            // Which cells went blank depends on the cursor: nothing is re-printed from our copy.
            _ => {
                self.screen = None;
                self.cursor = None;
                Ok(())
            }
        }
    }

    fn size(&self) -> io::Result<Size> {
        match self.fixed_size {
            Some(s) => Ok(s),
            None => self.inner.size(),
        }
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    //! Whatever we write must leave a terminal emulator (vt100) showing exactly what ratatui's
    //! own backend makes it show: random frames, styles, wide glyphs, cursors and scrolls.
    use super::*;
    use ratatui::style::Style;
    use ratatui::Terminal;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    const COLORS: [Color; 6] = [
        Color::Reset,
        Color::Yellow,
        Color::LightRed,
        Color::DarkGray,
        Color::Indexed(200),
        Color::Rgb(1, 2, 3),
    ];
    const MODS: [Modifier; 5] = [
        Modifier::BOLD,
        Modifier::DIM,
        Modifier::ITALIC,
        Modifier::UNDERLINED,
        Modifier::REVERSED,
    ];

    /// ratatui's own crossterm backend at a fixed size: the reference.
    struct Reference(CrosstermBackend<Shared>, Size);
    impl Backend for Reference {
        type Error = io::Error;
        fn draw<'a, I: Iterator<Item = (u16, u16, &'a Cell)>>(&mut self, c: I) -> io::Result<()> {
            self.0.draw(c)
        }
        fn hide_cursor(&mut self) -> io::Result<()> {
            self.0.hide_cursor()
        }
        fn show_cursor(&mut self) -> io::Result<()> {
            self.0.show_cursor()
        }
        fn get_cursor_position(&mut self) -> io::Result<Position> {
            Ok(Position::ORIGIN)
        }
        fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> io::Result<()> {
            self.0.set_cursor_position(p)
        }
        fn clear(&mut self) -> io::Result<()> {
            self.0.clear()
        }
        fn clear_region(&mut self, t: ClearType) -> io::Result<()> {
            self.0.clear_region(t)
        }
        fn size(&self) -> io::Result<Size> {
            Ok(self.1)
        }
        fn window_size(&mut self) -> io::Result<WindowSize> {
            Err(io::Error::other("no window"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Backend::flush(&mut self.0)
        }
    }

    fn emulator(w: u16, h: u16) -> vt100::Parser {
        let n = |v| std::num::NonZeroU16::new(v).unwrap();
        vt100::Parser::new(n(h), n(w), 0)
    }

    /// Cell by cell: text, colours, attributes.
    fn assert_same_screen(got: &vt100::Parser, want: &vt100::Parser, step: usize) {
        let (g, w) = (got.screen(), want.screen());
        let (rows, cols) = g.size();
        for y in 0..rows.get() {
            for x in 0..cols.get() {
                let (a, b) = (g.cell(y, x).unwrap(), w.cell(y, x).unwrap());
                let key = |c: &vt100::Cell| {
                    let text = if c.contents().is_empty() {
                        " "
                    } else {
                        c.contents()
                    };
                    let attrs = [c.bold(), c.dim(), c.italic(), c.underline(), c.inverse()];
                    (text.to_string(), c.fgcolor(), c.bgcolor(), attrs)
                };
                assert_eq!(key(a), key(b), "step {step} at ({x},{y})");
            }
        }
    }

    #[test]
    fn shifting_matches_what_a_terminal_scroll_region_does() {
        let lines = |b: &Buffer| -> Vec<String> {
            (0..b.area.height)
                .map(|y| (0..b.area.width).map(|x| b[(x, y)].symbol()).collect())
                .collect()
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 6));
        for (y, s) in ["hdr", "aaa", "bbb", "ccc", "ddd", "end"]
            .iter()
            .enumerate()
        {
            buf.set_string(0, y as u16, s, Style::default());
        }
        // Region: lines 1..=4; up by one, then down by two; lines scrolled in are blank.
        let up = ["hdr", "bbb", "ccc", "ddd", "   ", "end"];
        let down = ["hdr", "   ", "   ", "aaa", "bbb", "end"];
        assert_eq!(lines(&shift_rows(&buf, 1, 4, 1)), up);
        assert_eq!(lines(&shift_rows(&buf, 1, 4, -2)), down);
        // And a terminal doing it from our escape sequences agrees.
        for (d, want) in [(1isize, up), (-2, down)] {
            let out = Shared::default();
            let mut b = WireBackend::with_size(out.clone(), 3, 6);
            let mut vt = emulator(3, 6);
            let cells: Vec<(u16, u16, Cell)> = (0..6u16)
                .flat_map(|y| (0..3u16).map(move |x| (x, y)))
                .map(|(x, y)| (x, y, buf[(x, y)].clone()))
                .collect();
            b.draw(cells.iter().map(|(x, y, c)| (*x, *y, c))).unwrap();
            b.scroll_lines(1, 4, d).unwrap();
            vt.process(&out.0.borrow());
            assert_eq!(
                vt.screen().contents().lines().collect::<Vec<_>>(),
                want.map(str::trim_end)
            );
        }
    }

    /// Random frames with random styles and wide glyphs, small edits as keystrokes make and
    /// scrolls of a region, drawn by both backends into a terminal emulator: the screens must
    /// be identical after every frame, and ours must have cost fewer bytes.
    #[test]
    fn a_terminal_shows_what_the_crossterm_backend_shows_for_fewer_bytes() {
        let (w, h) = (40u16, 24u16);
        let (ours_out, ref_out) = (Shared::default(), Shared::default());
        let mut ours = Terminal::new(WireBackend::with_size(ours_out.clone(), w, h)).unwrap();
        let reference = Reference(CrosstermBackend::new(ref_out.clone()), Size::new(w, h));
        let mut theirs = Terminal::new(reference).unwrap();
        let (mut vt_ours, mut vt_ref) = (emulator(w, h), emulator(w, h));
        let (mut bytes_ours, mut bytes_ref) = (0, 0);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut frame = Buffer::empty(Rect::new(0, 0, w, h));
        for step in 0..1000 {
            if rng.next(5) == 0 {
                let d = rng.next(5) as isize - 2;
                if d != 0 {
                    ours.backend_mut().scroll_lines(2, 18, d).unwrap();
                    let (n, dir) = (d.unsigned_abs(), if d > 0 { 'S' } else { 'T' });
                    write!(ref_out.clone(), "\x1b[3;20r\x1b[{n}{dir}\x1b[r").unwrap();
                    for t in [ours.current_buffer_mut(), theirs.current_buffer_mut()] {
                        *t = shift_rows(&frame, 2, 18, d);
                    }
                    ours.swap_buffers();
                    theirs.swap_buffers();
                    frame = shift_rows(&frame, 2, 18, d);
                }
            }
            for _ in 0..1 + rng.next(4) {
                // Mostly the default pen, as in a real frame.
                let plain = rng.next(2) == 0;
                let mut style = Style::default()
                    .fg(COLORS[if plain { 0 } else { rng.next(6) as usize }])
                    .bg(COLORS[if plain { 0 } else { rng.next(6) as usize }]);
                for m in MODS.into_iter().filter(|_| !plain) {
                    // Bold and dim are one intensity to the emulator (and to many terminals).
                    let both = m == Modifier::DIM && style.add_modifier.contains(Modifier::BOLD);
                    if rng.next(4) == 0 && !both {
                        style = style.add_modifier(m);
                    }
                }
                // Replace, not patch, the cells' modifiers.
                style.sub_modifier = Modifier::all() - style.add_modifier;
                let text: String = (0..rng.next(12))
                    .map(|_| ["a", "b", " ", "━", "コ", "›"][rng.next(6) as usize])
                    .collect();
                let (x, y) = (rng.next(w as u64) as u16, rng.next(h as u64) as u16);
                if rng.next(2) == 0 {
                    frame.set_stringn(x, y, &text, (w - x) as usize, style);
                    continue;
                }
                // Single cells a few columns apart, up to the last column: the gaps between
                // changes that a selection move or a counter leaves.
                let mut x = x;
                while x < w {
                    frame.set_stringn(x, y, ["a", "b", "›"][rng.next(3) as usize], 1, style);
                    x += 1 + rng.next(6) as u16;
                }
            }
            // A resize clears the screen (ratatui's `clear` asks for `ClearType::All`); the
            // next frame is drawn whole.
            if step % 97 == 96 {
                ours.clear().unwrap();
                theirs.clear().unwrap();
            }
            // Sometimes a cursor, as the filter prompt shows one.
            let cursor = (rng.next(3) == 0).then(|| Position::new(rng.next(w as u64) as u16, 0));
            ours.draw(|f| {
                f.buffer_mut().merge(&frame);
                if let Some(c) = cursor {
                    f.set_cursor_position(c);
                }
            })
            .unwrap();
            theirs
                .draw(|f| {
                    f.buffer_mut().merge(&frame);
                    if let Some(c) = cursor {
                        f.set_cursor_position(c);
                    }
                })
                .unwrap();
            let a = ours_out.0.borrow_mut().split_off(0);
            let b = ref_out.0.borrow_mut().split_off(0);
            bytes_ours += a.len();
            bytes_ref += b.len();
            vt_ours.process(&a);
            vt_ref.process(&b);
            assert_same_screen(&vt_ours, &vt_ref, step);
            assert_eq!(
                vt_ours.screen().cursor_position(),
                vt_ref.screen().cursor_position(),
                "step {step}: cursor"
            );
            assert_eq!(
                vt_ours.screen().hide_cursor(),
                vt_ref.screen().hide_cursor(),
                "step {step}: cursor shown"
            );
        }
        assert!(
            bytes_ours * 10 < bytes_ref * 8,
            "{bytes_ours} bytes written, the crossterm backend {bytes_ref}"
        );
    }
}
