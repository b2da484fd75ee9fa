"""The analyses that followed the paper, on any pair of twins (issue 25): loss landscapes (Li et al.
2018), lesions (Veit et al. 2016), shattered gradients (Balduzzi et al. 2017) and a degeneracy audit
(Orhan & Pitkow 2018). ``nets`` reads a net argument, ``images`` fixes the images, ``table`` writes
resumable result tables; one module per analysis computes it."""
