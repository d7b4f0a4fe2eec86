-- HTML only: a table too wide for a phone screen scrolls sideways (report/house.css), and a
-- region that scrolls must be reachable from the keyboard (WCAG 2.1.1; axe-core's
-- scrollable-region-focusable). A caption names the table when it takes focus.
function Table(tbl)
  tbl.attributes["tabindex"] = "0"
  return tbl
end
