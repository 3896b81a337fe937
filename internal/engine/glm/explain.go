package glm

// Contributions writes each input column's share of the linear predictor
// (the raw score: log-odds for binary, one margin per class for
// multiclass, the predicted value for regression) for n rows: row i,
// output k, column j at (i*K+k)*(len(cols)+1)+j with K = 1 except for
// multiclass (NumClass), and the bias (the intercept) last. A column's
// share is the sum of its design columns' coefficient × encoded value, so
// it is measured from the training mean of a numeric column and from the
// reference level of a categorical one (the all-zero encoding). For
// regression both are on the target's scale (the mean of y goes into the
// bias). A row's shares and bias add up to its raw score.
func (m *Model) Contributions(cols [][]float32, n int, out []float64) {
	k := m.outputs()
	W := len(m.Encodings) + 1
	scale, shift := 1.0, 0.0
	if m.Task == Regression {
		scale, shift = m.YScale, m.YMean
	}
	var buf []float64
	for i := range n {
		row := out[i*k*W : (i+1)*k*W]
		clear(row)
		for o := range k {
			row[o*W+W-1] = shift + scale*m.Intercept[o]
		}
		at := 0
		for j := range m.Encodings {
			e := &m.Encodings[j]
			w := e.width()
			buf = slices0(buf, w)
			e.encode(cols[j][i], buf)
			for o := range k {
				var s float64
				for t, v := range buf {
					if v != 0 {
						s += m.Coef[o][at+t] * v
					}
				}
				row[o*W+j] = scale * s
			}
			at += w
		}
	}
}
