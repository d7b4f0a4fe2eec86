-- HTML only: a table too wide for a phone screen scrolls sideways (report/house.css), and a
-- region that scrolls must be reachable from the keyboard (WCAG 2.1.1; axe-core's
-- scrollable-region-focusable). A caption names the table when it takes focus.
-- A table of WIDE_COLUMNS or more columns gets the class "wide": house.css sets it in smaller type
-- with tighter cells, so that one such as a matrix of themes by authority and role fits the text
-- column on a laptop instead of scrolling.
-- Column widths are left to the browser, which sizes them from their content: pandoc would fix them
-- in proportion to the dashes under a pipe table's header, which say nothing about the content
-- ("3 months" broken over two lines beside a half-empty column).
local WIDE_COLUMNS = 6

function Table(tbl)
  tbl.attributes["tabindex"] = "0"
  if #tbl.colspecs >= WIDE_COLUMNS and not tbl.classes:includes("wide") then
    tbl.classes:insert("wide")
  end
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
  end
  return tbl
end
