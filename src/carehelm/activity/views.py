def census(r): pass
def bed_board(r, unit_id): pass
def bed_status(r, bed_id): pass
